#!/usr/bin/env bash
# RUSTC_WRAPPER for scripts/fuzz.sh: adds libFuzzer's coverage instrumentation (the flags
# cargo fuzz passes with `-s none`) to our own crates only. Dependencies (tract, image,
# toml, ...) build as usual: instrumenting tract costs minutes and none of the targets
# runs a network. All flags are stable rustc flags.
rustc="$1"
shift
ours=0
prev=""
for arg in "$@"; do
  if [ "$prev" = "--crate-name" ]; then
    case "$arg" in
      shared | edge | bundle | board_profile | frame_decode | verdict_log) ours=1 ;;
    esac
  fi
  prev="$arg"
done
if [ "$ours" = 1 ]; then
  exec "$rustc" "$@" \
    -Cpasses=sancov-module \
    -Cllvm-args=-sanitizer-coverage-level=4 \
    -Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
    -Cllvm-args=-sanitizer-coverage-pc-table \
    -Cllvm-args=-sanitizer-coverage-trace-compares \
    --cfg fuzzing
fi
exec "$rustc" "$@"
