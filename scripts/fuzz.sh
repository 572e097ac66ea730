#!/usr/bin/env bash
# Fuzzing (docs/reliability.md): builds the libFuzzer targets in fuzz/ and runs each for
# N seconds. Exit 1 when a target finds a crash (panic, overflow, out-of-memory, timeout);
# the input is kept under fuzz/artifacts/<target>/.
#
#   scripts/fuzz.sh [seconds]    seconds per target, default 10 (CI: 5)
#   FUZZ_SKIP=reason             skip at once (says so); FUZZ_TARGET_DIR: build folder
#
# Stable toolchain, no cargo-fuzz: `cargo build` with fuzz/rustc-wrapper.sh adds the
# coverage flags cargo fuzz passes with `-s none` (no AddressSanitizer; the targets are
# safe Rust: a panic, an overflow, a timeout or memory past -rss_limit_mb is a finding).
# The corpus grows in fuzz/corpus/<target>/ (git-ignored), seeded from fuzz/seeds/. Any
# single allocation above 256 MiB aborts (fuzz/fuzz_targets/alloc_limit.rs).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-10}"
targets=(bundle board_profile frame_decode verdict_log)
root="$PWD"

if [ -n "${FUZZ_SKIP-}" ]; then
  echo "fuzz: SKIPPED (FUZZ_SKIP=$FUZZ_SKIP)"
  exit 0
fi

if ! command -v c++ >/dev/null 2>&1; then
  echo "fuzz: SKIPPED (no C++ compiler: libfuzzer-sys builds libFuzzer from source)"
  exit 0
fi
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64 | Linux-aarch64) ;;
  *)
    echo "fuzz: SKIPPED (libFuzzer targets are built on Linux x86_64/aarch64 only)"
    exit 0
    ;;
esac

export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-$root/fuzz/target}"
echo "== fuzz: building ${#targets[@]} targets (release, coverage on our crates only)"
RUSTC_WRAPPER="$root/fuzz/rustc-wrapper.sh" \
  cargo build --manifest-path fuzz/Cargo.toml --release --locked --bins -q

# Seeds from files already in the tree: the board profiles for the profile parser.
mkdir -p fuzz/corpus/board_profile
cp boards/*.toml fuzz/corpus/board_profile/

failed=()
for t in "${targets[@]}"; do
  corpus="fuzz/corpus/$t"
  artifacts="fuzz/artifacts/$t/"
  mkdir -p "$corpus" "$artifacts" "fuzz/seeds/$t"
  echo "== fuzz: $t for ${seconds}s"
  # -rss_limit_mb: an input that makes a parser allocate without bound is a crash.
  # -timeout: one input taking more than 10 s is a hang.
  if ! "$CARGO_TARGET_DIR/release/$t" "$corpus" "fuzz/seeds/$t" \
    -max_total_time="$seconds" -rss_limit_mb=1024 -timeout=10 \
    -artifact_prefix="$artifacts" -print_final_stats=1 2>"$artifacts/last-run.log"; then
    failed+=("$t")
    tail -40 "$artifacts/last-run.log"
  else
    grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb" "$artifacts/last-run.log" \
      | sed "s/^/   /" || true
  fi
done

if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]} (inputs under fuzz/artifacts/)"
  exit 1
fi
echo "fuzz: OK (${#targets[@]} targets, ${seconds}s each)"
