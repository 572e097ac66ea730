#!/usr/bin/env bash
# Soak (docs/reliability.md): `edge soak` replays a tiny bundle's test frames in a loop on
# the simulated line (boards/sim-soak.toml, a part every 5 ms) for N parts and prints
# resident memory at the start and end, lost / doubled verdicts and pulses, and the p99
# trigger → verdict latency of the first and last tenth. Exit 1 on any lost verdict or
# pulse, or memory growth past --max-rss-growth-mib (16 MiB by default).
#
#   scripts/soak.sh [frames]          default 100000 (about 9 minutes)
#
# The bundle and frames come from the trainer (synthetic data, 64×64 input, a small int8
# bank), made once under $SOAK_DIR (default target/soak). Set SOAK_BUNDLE and
# SOAK_FRAMES to soak another bundle and frame folder. SOAK_INTERVAL_MS changes the pace
# (keep it ≥ 2: 60 ms delay / 32 parts in flight). EDGE=path uses that edge binary instead
# of building one. CI runs the 2,000-part version as the
# test `edge_soak_of_2000_parts_loses_no_verdict_or_pulse_and_keeps_memory_flat`.
set -euo pipefail
cd "$(dirname "$0")/.."

frames="${1:-100000}"
dir="${SOAK_DIR:-target/soak}"
interval="${SOAK_INTERVAL_MS:-5}"
target="${CARGO_TARGET_DIR:-target}"
mkdir -p "$dir"

edge="${EDGE:-}"
if [ -z "$edge" ]; then
  echo "== building edge (release)"
  cargo build --release -q -p edge --bin edge
  edge="$target/release/edge"
fi

bundle="${SOAK_BUNDLE:-}"
frames_dir="${SOAK_FRAMES:-}"
if [ -z "$bundle" ] || [ -z "$frames_dir" ]; then
  bundle="$dir/soak.bundle"
  frames_dir="$dir/synthetic/test"
  if [ ! -f "$bundle" ]; then
    echo "== building trainer (release)"
    cargo build --release -q -p trainer --bin trainer
    trainer="$target/release/trainer"
    echo "== tiny bundle: trainer synth (64 px) + trainer fit (64×64 input)"
    "$trainer" synth --out "$dir/synthetic" --size 64 --train 16 --test-good 10 --test-defect 10 --force
    "$trainer" fit --data "$dir/synthetic" --out "$bundle" --input-size 64 --max-entries 2000 --quiet
  fi
fi

log="$dir/verdicts-$(date +%Y%m%d-%H%M%S).jsonl"
echo "== edge soak: $frames parts, one every $interval ms"
"$edge" soak --bundle "$bundle" --board boards/sim-soak.toml --source "dir:$frames_dir" \
  --log "$log" --frames "$frames" --interval-ms "$interval" --threads 1
