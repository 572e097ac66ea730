#!/usr/bin/env python3
"""Frame -> verdict latency of `edge bench` against onnxruntime running the bare feature
network of the same bundle (same ONNX bytes, same thread count), in one script run so
both see the same machine load. The ratio edge / onnxruntime is the headline (goal <= 1.0:
the whole edge path no slower than onnxruntime's network alone).

    cargo build --release -p edge
    python3 -m pip install onnxruntime numpy
    python3 scripts/bench_vs_onnxruntime.py --bundle model.bundle [--edge target/release/edge] [--threads 1] [--frames 50]

The two measurements are interleaved (edge, onnxruntime, edge, onnxruntime, ...) in
--rounds rounds and the medians of the rounds' medians are compared.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bundle_payload import payloads  # noqa: E402


def ort_round(sess, name, x, frames, warmup):
    for _ in range(warmup):
        sess.run(None, {name: x})
    times = []
    for _ in range(frames):
        t = time.perf_counter()
        sess.run(None, {name: x})
        times.append((time.perf_counter() - t) * 1e3)
    return statistics.median(times)


def edge_round(edge, bundle, threads, frames, warmup, out):
    subprocess.run(
        [edge, "bench", "--bundle", bundle, "--threads", str(threads), "--frames", str(frames),
         "--warmup", str(warmup), "--json", out],
        check=True, stdout=subprocess.DEVNULL)
    figures = json.load(open(out))
    s = figures["stages"]
    return s["total"]["p50_us"] / 1e3, s["network"]["p50_us"] / 1e3


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bundle", required=True)
    p.add_argument("--edge", default="target/release/edge")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--frames", type=int, default=30)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--rounds", type=int, default=3)
    a = p.parse_args()
    try:
        import numpy as np
        import onnxruntime as ort
    except ImportError as e:
        sys.exit(f"skipped: {e} (python3 -m pip install onnxruntime numpy)")
    onnx = payloads(open(a.bundle, "rb").read())["features.onnx"]
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = a.threads
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    sess = ort.InferenceSession(onnx, opts, providers=["CPUExecutionProvider"])
    inp = sess.get_inputs()[0]
    x = np.random.default_rng(0).standard_normal(inp.shape).astype(np.float32)
    edge_totals, edge_networks, ort_networks = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "bench.json")
        for _ in range(a.rounds):
            total, network = edge_round(a.edge, a.bundle, a.threads, a.frames, a.warmup, out)
            edge_totals.append(total)
            edge_networks.append(network)
            ort_networks.append(ort_round(sess, inp.name, x, a.frames, a.warmup))
    e_total = statistics.median(edge_totals)
    e_net = statistics.median(edge_networks)
    o_net = statistics.median(ort_networks)
    print(f"bundle {a.bundle}, input {inp.shape}, {a.threads} thread(s), {a.rounds} rounds x {a.frames} frames")
    print("| measurement | p50 ms |")
    print("|---|---|")
    print(f"| edge: frame -> verdict (preprocess, tract network, scoring, decision) | {e_total:.1f} |")
    print(f"| edge: tract network alone | {e_net:.1f} |")
    print(f"| onnxruntime {ort.__version__}: network alone | {o_net:.1f} |")
    print(f"| ratio edge frame -> verdict / onnxruntime network | {e_total / o_net:.2f}x |")
    print(f"| ratio tract network / onnxruntime network | {e_net / o_net:.2f}x |")


if __name__ == "__main__":
    main()
