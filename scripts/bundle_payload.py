#!/usr/bin/env python3
"""Extracts one named payload (default `features.onnx`) from a model bundle, following the
byte layout documented in shared/src/bundle/mod.rs (format versions 1 to 3: versions 2
and 3 changed only the manifest's content, which this script skips). Checks magic, version,
length and CRC-32 like the Rust reader does.

    python3 scripts/bundle_payload.py model.bundle features.onnx -o features.onnx
"""
import argparse
import struct
import sys
import zlib

MAGIC = b"LSIBNDL\0"
# Versions whose byte layout this script knows (2 added lineage inside the manifest, 3
# the image score's own smoothing σ).
VERSIONS = (1, 2, 3)


def payloads(data):
    if len(data) < 22 or data[:8] != MAGIC:
        raise ValueError("not a bundle (bad magic or too short)")
    (version,) = struct.unpack_from("<H", data, 8)
    if version not in VERSIONS:
        raise ValueError(f"format version {version}: this script reads versions {VERSIONS}")
    n, crc = struct.unpack_from("<QI", data, 10)
    body = data[22:]
    if len(body) != n:
        raise ValueError(f"payload length {n} but {len(body)} bytes follow the header")
    if zlib.crc32(body) & 0xFFFFFFFF != crc:
        raise ValueError("payload CRC-32 mismatch: the file is corrupt")
    (m,) = struct.unpack_from("<Q", body, 0)
    pos = 8 + m
    (entries,) = struct.unpack_from("<Q", body, pos)
    pos += 8
    out = {}
    for _ in range(entries):
        (length,) = struct.unpack_from("<Q", body, pos)
        pos += 8
        name = body[pos:pos + length].decode("utf-8")
        pos += length
        (size,) = struct.unpack_from("<Q", body, pos)
        pos += 8
        out[name] = body[pos:pos + size]
        pos += size
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("bundle")
    p.add_argument("name", nargs="?", default="features.onnx")
    p.add_argument("-o", "--out", required=True)
    a = p.parse_args()
    found = payloads(open(a.bundle, "rb").read())
    if a.name not in found:
        sys.exit(f"{a.bundle} has no payload {a.name!r} (it has: {', '.join(found)})")
    with open(a.out, "wb") as f:
        f.write(found[a.name])


if __name__ == "__main__":
    main()
