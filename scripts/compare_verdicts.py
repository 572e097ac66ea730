#!/usr/bin/env python3
"""Compares `trainer eval`'s per-image verdicts (report.json, field `verdicts`) with an
`edge run` verdict log (JSON lines) of the same images, matched by file name: same
verdict for every image, and the largest raw-score difference.

    python3 scripts/compare_verdicts.py report/report.json verdicts.jsonl

Exit code 1 when a verdict differs or an image is missing from either side.
"""
import json
import os
import sys


def key(path):
    # The last three components (test/<type>/<file>) identify an MVTec test image
    # whatever the working directory each tool ran from.
    return "/".join(os.path.normpath(path).split(os.sep)[-3:])


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    report = json.load(open(sys.argv[1]))
    trainer = {key(v["path"]): v for v in report.get("verdicts", [])}
    if not trainer:
        sys.exit(f"{sys.argv[1]} has no per-image verdicts (written by an older trainer?)")
    edge = {}
    for n, line in enumerate(open(sys.argv[2]), 1):
        if line.strip():
            r = json.loads(line)
            edge[key(r.get("origin") or f"part-{r['part_id']}")] = r
    differ, missing, worst = [], [], 0.0
    for k, t in trainer.items():
        e = edge.get(k)
        if e is None:
            missing.append(k)
            continue
        if (e["verdict"] == "reject") != t["rejected"]:
            differ.append((k, t["score"], e.get("score"), e["verdict"], e["reason"]))
        if e.get("score"):
            worst = max(worst, abs(e["score"]["raw"] - t["score"]))
    extra = [k for k in edge if k not in trainer]
    print(f"{len(trainer)} images in the report, {len(edge)} parts in the log; "
          f"{len(differ)} verdicts differ, {len(missing)} missing from the log, {len(extra)} only in the log; "
          f"largest raw-score difference {worst:.3g}")
    for d in differ[:20]:
        print("  differs:", d)
    sys.exit(1 if differ or missing or extra else 0)


if __name__ == "__main__":
    main()
