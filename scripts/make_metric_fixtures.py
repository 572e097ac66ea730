#!/usr/bin/env python3
"""Reference values for `trainer::metrics`, computed once with standard libraries.

Writes trainer/tests/fixtures/metrics/reference.json, which
trainer/tests/metrics_reference.rs checks the Rust metrics against.

Rerun (from the workspace root, any directory works):

    pip install scikit-learn==1.9.1 scipy==1.17.1 numpy==2.4.6
    python3 scripts/make_metric_fixtures.py

The committed file was made with Python 3.11.7, numpy 2.4.6, scipy 1.17.1 and
scikit-learn 1.9.1 (also recorded in the JSON's "generator" field). All cases are
seeded, so a rerun with these versions reproduces the file byte for byte.

What is computed, and by what:
- "binary" cases (scores, labels):
  roc_auc           sklearn.metrics.roc_auc_score
  average_precision sklearn.metrics.average_precision_score
  f1_max            from sklearn.metrics.precision_recall_curve: F1 = 2PR/(P+R) at every
                    threshold. The chosen point is the maximum with exact ties (checked in
                    rational arithmetic, F1 = 2TP/(TP+FP+#anomalous)) going to the lowest
                    threshold, as an argmax over sklearn's increasing thresholds intends;
                    a plain float argmax can pick another threshold of the *same* exact F1
                    through rounding, so that choice is recorded too (float_argmax_*).
- "maps" cases (several images: width, height, row-major map and mask):
  aupro             an independent implementation below: scipy.ndimage.label with a 3x3
                    ones structure (8-connectivity), every unique score as a threshold
                    (numpy, brute force), linear interpolation at the FPR limit with
                    np.interp, np.trapezoid, divided by the limit.
  pixel_auroc / pixel_average_precision: sklearn on all pixels flattened.
Scores are float32, written as the shortest decimal that round-trips the float32 value
(checked: decimal -> f64 -> f32 gives the same bits, which is how Rust reads them).
"""

import json
import platform
from fractions import Fraction
from pathlib import Path

import numpy as np
import scipy
import sklearn
from scipy import ndimage
from sklearn.metrics import average_precision_score, precision_recall_curve, roc_auc_score

OUT = Path(__file__).resolve().parent.parent / "trainer/tests/fixtures/metrics/reference.json"


def f32_value(x):
    """The shortest decimal of a float32, as the Python float JSON will print.

    Rust reads it as f64 and casts to f32; assert that gives back exactly this float32.
    """
    x = np.float32(x)
    assert np.isfinite(x)
    value = float(str(x))
    assert np.float32(value) == x and np.float32(value).tobytes() == x.tobytes()
    return value


def f32_list(a):
    return [f32_value(x) for x in np.asarray(a, np.float32)]


def f1_max(scores, labels):
    precision, recall, thresholds = precision_recall_curve(labels, scores)
    # The last (precision 1, recall 0) point has no threshold.
    p, r = precision[:-1], recall[:-1]
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.where(p + r > 0, 2 * p * r / (p + r), 0.0)
    best = int(np.argmax(f1))
    # Exact check: F1 = 2 TP / (TP + FP + P); the max with the lowest threshold among ties.
    positives = int(np.sum(labels))
    exact = []
    for t in thresholds:
        predicted = scores >= t
        tp = int(np.sum(predicted & labels))
        fp = int(np.sum(predicted & ~labels))
        exact.append(Fraction(2 * tp, tp + fp + positives))
    top = max(exact)
    exact_best = min(i for i, v in enumerate(exact) if v == top)  # thresholds increase
    if exact_best != best:
        print(f"  note: F1 tie broken by float rounding in numpy (argmax at threshold "
              f"{thresholds[best]}); exact tie-break picks {thresholds[exact_best]}")
    return {
        # sklearn's own values at the exact tie-break (lowest threshold of equal F1).
        "f1": float(f1[exact_best]),
        "threshold": f32_value(thresholds[exact_best]),
        "precision": float(p[exact_best]),
        "recall": float(r[exact_best]),
        # What a plain float argmax picks; differs only when F1 ties exactly.
        "float_argmax_threshold": f32_value(thresholds[best]),
        "float_argmax_f1": float(f1[best]),
    }


def binary_case(name, scores, labels):
    scores = np.asarray(scores, np.float32)
    labels = np.asarray(labels, bool)
    return {
        "name": name,
        "scores": f32_list(scores),
        "labels": [bool(x) for x in labels],
        "roc_auc": float(roc_auc_score(labels, scores)),
        "average_precision": float(average_precision_score(labels, scores)),
        "f1_max": f1_max(scores, labels),
    }


def aupro_reference(maps, masks, fpr_limit):
    """PRO integrated over FPR in [0, fpr_limit], normalised; brute force over thresholds."""
    structure = np.ones((3, 3), dtype=int)
    regions = []
    normals = []
    for m, k in zip(maps, masks):
        lab, n = ndimage.label(k, structure=structure)
        regions.extend(m[lab == i] for i in range(1, n + 1))
        normals.append(m[~k])
    normals = np.concatenate(normals)
    thresholds = np.unique(np.concatenate([m.ravel() for m in maps]))[::-1]
    fpr = [0.0]
    pro = [0.0]
    for t in thresholds:
        fpr.append(np.count_nonzero(normals >= t) / normals.size)
        pro.append(np.mean([np.count_nonzero(r >= t) / r.size for r in regions]))
    fpr = np.array(fpr)
    pro = np.array(pro)
    assert np.all(np.diff(fpr) >= 0) and np.all(np.diff(pro) >= 0)
    if fpr_limit in fpr:
        keep = fpr <= fpr_limit
        x, y = fpr[keep], pro[keep]
    else:
        # fpr is non-decreasing and fpr_limit lies strictly between two distinct values,
        # so np.interp's bracket is the unique crossing segment.
        y_limit = np.interp(fpr_limit, fpr, pro)
        keep = fpr < fpr_limit
        x = np.append(fpr[keep], fpr_limit)
        y = np.append(pro[keep], y_limit)
    return float(np.trapezoid(y, x) / fpr_limit)


def maps_case(name, images, fpr_limit):
    """images: list of (map HxW float32, mask HxW bool)."""
    maps = [np.asarray(m, np.float32) for m, _ in images]
    masks = [np.asarray(k, bool) for _, k in images]
    flat_scores = np.concatenate([m.ravel() for m in maps])
    flat_labels = np.concatenate([k.ravel() for k in masks])
    return {
        "name": name,
        "fpr_limit": fpr_limit,
        "images": [
            {
                "width": int(m.shape[1]),
                "height": int(m.shape[0]),
                "map": f32_list(m.ravel()),
                "mask": [int(x) for x in k.ravel()],
            }
            for m, k in zip(maps, masks)
        ],
        "aupro": aupro_reference(maps, masks, fpr_limit),
        "pixel_auroc": float(roc_auc_score(flat_labels, flat_scores)),
        "pixel_average_precision": float(average_precision_score(flat_labels, flat_scores)),
    }


def blob_mask(rng, h, w, blobs):
    """Random rectangles and diagonal strokes."""
    k = np.zeros((h, w), bool)
    for _ in range(blobs):
        y, x = rng.integers(0, h), rng.integers(0, w)
        if rng.random() < 0.5:
            k[y : y + rng.integers(1, 4), x : x + rng.integers(1, 4)] = True
        else:
            for d in range(rng.integers(2, 5)):
                if y + d < h and x + d < w:
                    k[y + d, x + d] = True
    return k


def defect_map(rng, mask, quantum=None, separation=1.0):
    m = rng.normal(0.0, 1.0, mask.shape) + separation * mask
    if quantum is not None:
        m = np.round(m / quantum) * quantum
    return m.astype(np.float32)


def binary_cases():
    rng = np.random.default_rng(20261129)
    cases = [
        binary_case("sklearn_docstring", [0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]),
        binary_case(
            "f1_tie_hand",
            [0.9, 0.8, 0.5, 0.5, 0.5, 0.1, 0.1, 0.1, 0.1],
            [1, 1, 1, 0, 0, 1, 0, 0, 0],
        ),
        binary_case("all_tied", [0.25] * 7, [1, 0, 0, 1, 0, 0, 0]),
    ]
    labels = rng.random(200) < 0.4
    cases.append(binary_case("continuous_200", rng.normal(0, 1, 200) + 0.8 * labels, labels))
    labels = rng.random(500) < 0.5
    scores = np.round((rng.normal(0, 1, 500) + 0.7 * labels) * 2) / 2  # ~10 distinct values
    cases.append(binary_case("quantised_heavy_ties_500", scores, labels))
    labels = rng.random(1000) < 0.03
    scores = rng.exponential(1.0, 1000) + 1.5 * labels
    cases.append(binary_case("imbalanced_3pct_1000", scores, labels))
    labels = rng.random(1000) < 0.97
    scores = rng.normal(0, 1, 1000) + 0.5 * labels
    cases.append(binary_case("imbalanced_97pct_1000", scores, labels))
    labels = rng.random(2000) < 0.3
    scores = np.round((rng.normal(0, 1, 2000) + 1.0 * labels) * 1000) / 1000
    cases.append(binary_case("mid_2000_partial_ties", scores, labels))
    labels = rng.random(300) < 0.5
    scores = np.round(rng.normal(0, 1e4, 300) - 2e3 * labels)  # negative, worse than chance
    cases.append(binary_case("large_negative_scores_300", scores, labels))
    return cases


def map_cases():
    rng = np.random.default_rng(4242)
    hand_map = np.array(
        [[0.9, 0, 0, 0], [0, 0.5, 0.8, 0], [0, 0, 0.4, 0.7], [0, 0, 0, 0.7]], np.float32
    )
    hand_mask = np.zeros((4, 4), bool)
    hand_mask[0, 0] = hand_mask[1, 1] = hand_mask[2, 3] = hand_mask[3, 3] = True
    cases = [
        maps_case("hand_4x4_diagonal", [(hand_map, hand_mask)], 0.3),
        maps_case(
            "hand_4x4_plus_empty_image",
            [(hand_map, hand_mask), (np.zeros((2, 2)), np.zeros((2, 2), bool))],
            0.3,
        ),
    ]
    # Diagonal touch: two squares meeting at one corner are ONE region (8-connectivity).
    diag_mask = np.zeros((8, 8), bool)
    diag_mask[1:3, 1:3] = True
    diag_mask[3:6, 3:6] = True
    diag_mask[6, 0] = True
    diag_map = defect_map(rng, diag_mask, quantum=0.25)
    cases.append(maps_case("diagonal_touch_8x8", [(diag_map, diag_mask)], 0.3))

    def multi(name, h, w, quantum, limit, separation=1.5):
        images = []
        # defective with regions
        for blobs in (3, 5):
            k = blob_mask(rng, h, w, blobs)
            images.append((defect_map(rng, k, quantum, separation), k))
        # defective image whose mask is empty (no region drawn)
        k = np.zeros((h, w), bool)
        images.append((defect_map(rng, k, quantum, separation), k))
        # all-normal image
        images.append((defect_map(rng, np.zeros((h, w), bool), quantum, separation), k))
        # an image of another size
        k2 = blob_mask(rng, h + 3, w - 2, 2)
        images.append((defect_map(rng, k2, quantum, separation), k2))
        return maps_case(name, images, limit)

    cases.append(multi("multi_continuous_12x16", 12, 16, None, 0.3))
    cases.append(multi("multi_quantised_12x16", 12, 16, 0.5, 0.3))
    cases.append(multi("multi_quantised_limit_0.05", 10, 10, 0.25, 0.05))
    cases.append(multi("multi_continuous_limit_1", 10, 14, None, 1.0))
    cases.append(multi("multi_weak_separation_20x20", 20, 20, 0.1, 0.3, separation=0.3))
    return cases


def main():
    data = {
        "generator": {
            "script": "scripts/make_metric_fixtures.py",
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "scikit-learn": sklearn.__version__,
        },
        "binary": binary_cases(),
        "maps": map_cases(),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, separators=(",", ":"))
    OUT.write_text(text + "\n")
    print(f"wrote {OUT} ({len(text) / 1024:.1f} KiB)")
    for c in data["binary"]:
        print(f"  {c['name']}: auroc {c['roc_auc']:.6f} ap {c['average_precision']:.6f} "
              f"f1 {c['f1_max']['f1']:.6f} @ {c['f1_max']['threshold']}")
    for c in data["maps"]:
        print(f"  {c['name']}: aupro {c['aupro']:.6f} pixel auroc {c['pixel_auroc']:.6f}")


if __name__ == "__main__":
    main()
