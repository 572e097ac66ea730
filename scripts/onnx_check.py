#!/usr/bin/env python3
"""Run the official ONNX checker on graph files written by the trainer.

Usage: scripts/onnx_check.py GRAPH.onnx [GRAPH.onnx ...]

Runs onnx.checker.check_model(full_check=True) (structure, operator schemas, and shape
inference) on each file. Exit codes: 0 all valid; 1 a graph is invalid; 2 bad usage;
3 the `onnx` package is not installed (pip install onnx).
"""
import sys


def main(argv):
    if len(argv) < 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        import onnx
    except ImportError:
        print("skipped: onnx not installed (pip install onnx)", file=sys.stderr)
        return 3
    failed = 0
    for path in argv[1:]:
        try:
            model = onnx.load(path)
            onnx.checker.check_model(model, full_check=True)
            graph = model.graph
            print(
                f"ok: {path}: opset {model.opset_import[0].version}, "
                f"{len(graph.node)} nodes, {len(graph.initializer)} initializers, "
                f"outputs {[o.name for o in graph.output]}"
            )
        except Exception as e:  # the checker raises several exception types
            print(f"invalid: {path}: {e}", file=sys.stderr)
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
