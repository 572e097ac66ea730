#!/usr/bin/env bash
# Cross-build the edge runtime for aarch64 (Raspberry Pi 4/5, Jetson) and run its tests
# under qemu-user. Called by .ci/run after the native tests; usable by hand.
#
# Installs what is missing (rustup target, Debian cross gcc + libc + qemu-user-static).
# If that cannot be done (no rustup, no apt, not root, no network) it prints
# `skipped: aarch64 cross-build: <why>` and exits 0 so CI stays green. Once the tools
# are there, a build error or a failing test fails the script.
#
# Linker and runner are set through environment variables here, never in a committed
# .cargo/config.toml, so native builds are not affected. binfmt_misc is not assumed:
# the runner calls qemu explicitly.
#
# Knobs (environment):
#   AARCH64_TESTS    edge test targets to run under qemu, space-separated names of files
#                    in edge/tests (e.g. "replay records"); empty = all edge test targets
#                    (`--tests`: lib and bin unit tests and every integration test)
#   AARCH64_NATIVE_ONLY  tests (names, passed to the harness as --skip) that start the edge
#                    binary as a child process: under qemu-user without binfmt_misc the
#                    kernel cannot exec an aarch64 child, so they run only natively (in
#                    `cargo test --workspace`); ignored when binfmt has qemu-aarch64
#   AARCH64_PROFILE  cargo profile for the cross build (default: release, the profile that is
#                    deployed and the cheaper one to build; see docs/decisions.md)
#   AARCH64_BUNDLE   a bundle for `edge info --bundle ... --verify` under qemu
#                    (default: out/demo/model.bundle when it exists)
#   AARCH64_FEATURES edge features to build and test with (default: rppal,cdev)
#   AARCH64_SKIP     set to a reason to skip at once (e.g. on a runner known to lack apt)
set -euo pipefail
cd "$(dirname "$0")/.."

AARCH64_TESTS="${AARCH64_TESTS-}"
AARCH64_NATIVE_ONLY="${AARCH64_NATIVE_ONLY-score_prints_a_verdict_per_image_and_info_verifies cli:: soak::edge_soak edge_run_refuses_a_tampered_bundle}"
AARCH64_PROFILE="${AARCH64_PROFILE:-release}"
AARCH64_FEATURES="${AARCH64_FEATURES:-rppal,cdev}"
AARCH64_BUNDLE="${AARCH64_BUNDLE:-out/demo/model.bundle}"

TARGET=aarch64-unknown-linux-gnu
SYSROOT=/usr/aarch64-linux-gnu
PACKAGES=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user-static)

skip() {
  echo "skipped: aarch64 cross-build: $*"
  exit 0
}

t_all=$SECONDS
t_step=$SECONDS
step() { # step NAME: announce a step and start its clock
  t_step=$SECONDS
  echo "-- $1"
}
took() { echo "   took $((SECONDS - t_step)) s ($1)"; }

[[ -z "${AARCH64_SKIP-}" ]] || skip "AARCH64_SKIP=$AARCH64_SKIP"

# ---------------------------------------------------------------------------- install
step "rust target $TARGET"
have_target() {
  local sysroot
  sysroot="$(rustc --print sysroot 2>/dev/null)" || return 1
  [[ -d "$sysroot/lib/rustlib/$TARGET/lib" ]]
}
if have_target; then
  took "already installed"
else
  command -v rustup >/dev/null 2>&1 || skip "target $TARGET is not installed and there is no rustup to add it"
  log="$(mktemp)"
  if ! rustup target add "$TARGET" >"$log" 2>&1 || ! have_target; then
    tail -n 5 "$log" | sed 's/^/   rustup: /'
    rm -f "$log"
    skip "rustup target add $TARGET failed"
  fi
  rm -f "$log"
  took "installed with rustup"
fi

step "Debian packages ${PACKAGES[*]}"
have_packages() {
  command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 &&
    [[ -e "$SYSROOT/lib/libc.so.6" && -e "$SYSROOT/lib/crt1.o" ]] &&
    command -v qemu-aarch64-static >/dev/null 2>&1
}
if have_packages; then
  took "already installed"
else
  command -v apt-get >/dev/null 2>&1 || skip "${PACKAGES[*]} are missing and there is no apt-get"
  sudo=()
  if [[ "$(id -u)" != 0 ]]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true >/dev/null 2>&1; then
      sudo=(sudo -n)
    else
      skip "${PACKAGES[*]} are missing and apt-get needs root (no password-less sudo)"
    fi
  fi
  apt_install() {
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -q --no-install-recommends "${PACKAGES[@]}"
  }
  log="$(mktemp)"
  if ! apt_install >"$log" 2>&1; then
    if ! { "${sudo[@]}" apt-get update -q && apt_install; } >"$log" 2>&1; then
      tail -n 5 "$log" | sed 's/^/   apt-get: /'
      rm -f "$log"
      skip "apt-get could not install ${PACKAGES[*]}"
    fi
  fi
  rm -f "$log"
  have_packages || skip "${PACKAGES[*]} installed but aarch64-linux-gnu-gcc, $SYSROOT or qemu-aarch64-static is still missing"
  took "installed with apt-get"
fi

# ------------------------------------------------------------------ cross configuration
QEMU=(qemu-aarch64-static -L "$SYSROOT")
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="${QEMU[*]}"
# C/assembly built by build scripts (tract-linalg's ARM kernels) use the cross gcc.
export CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc
export AR_aarch64_unknown_linux_gnu=aarch64-linux-gnu-ar

case "$AARCH64_PROFILE" in
  dev) profile_args=(); profile_dir=debug ;;
  release) profile_args=(--release); profile_dir=release ;;
  *) profile_args=(--profile "$AARCH64_PROFILE"); profile_dir="$AARCH64_PROFILE" ;;
esac
cargo_args=(-p edge --target "$TARGET" "${profile_args[@]}")
[[ -z "$AARCH64_FEATURES" ]] || cargo_args+=(--features "$AARCH64_FEATURES")
if [[ -z "${AARCH64_TESTS// /}" ]]; then
  test_args=(--tests)
  tests_label="all edge test targets (--tests)"
else
  test_args=()
  for t in $AARCH64_TESTS; do test_args+=(--test "$t"); done
  tests_label="edge tests: $AARCH64_TESTS"
fi
harness_args=()
if grep -qs '^enabled' /proc/sys/fs/binfmt_misc/qemu-aarch64; then
  tests_label+=", binfmt has qemu-aarch64: child processes work"
elif [[ -n "${AARCH64_NATIVE_ONLY// /}" ]]; then
  for t in $AARCH64_NATIVE_ONLY; do harness_args+=(--skip "$t"); done
  tests_label+=", native only (start the edge binary, no binfmt): $AARCH64_NATIVE_ONLY"
fi
target_dir="$(cargo metadata --format-version 1 --no-deps 2>/dev/null |
  sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')" || target_dir=""
target_dir="${target_dir:-${CARGO_TARGET_DIR:-target}}"
edge_bin="$target_dir/$TARGET/$profile_dir/edge"
echo "   profile $AARCH64_PROFILE, features '${AARCH64_FEATURES}', $tests_label"
echo "   runner: ${QEMU[*]}"

# ------------------------------------------------------------------------- cross build
step "cargo build ${cargo_args[*]} --bin edge"
cargo build "${cargo_args[@]}" --bin edge
took "edge binary: $edge_bin, $(stat -c %s "$edge_bin") bytes"
# The board's glibc must be at least the newest symbol version the binary links against.
glibc="$(aarch64-linux-gnu-objdump -T "$edge_bin" 2>/dev/null | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -n 1)" || glibc="GLIBC_?"
echo "   needs glibc >= ${glibc#GLIBC_} on the board (Pi OS bookworm 2.36, Ubuntu 22.04 / JetPack 6 2.35, JetPack 5 2.31, JetPack 4 2.27)"

step "cargo test --no-run ${cargo_args[*]} ${test_args[*]}"
cargo test --no-run "${cargo_args[@]}" "${test_args[@]}"
took "test binaries"

# ------------------------------------------------------------------------- under qemu
step "edge binary under qemu: --version, --help"
"${QEMU[@]}" "$edge_bin" --version
"${QEMU[@]}" "$edge_bin" --help >/dev/null
if [[ -f "$AARCH64_BUNDLE" ]]; then
  "${QEMU[@]}" "$edge_bin" info --bundle "$AARCH64_BUNDLE" --verify
  took "--version, --help, info --bundle $AARCH64_BUNDLE --verify"
else
  took "--version, --help; no bundle at $AARCH64_BUNDLE, info not run"
fi

step "cargo test ${cargo_args[*]} ${test_args[*]} (under qemu)"
cargo test "${cargo_args[@]}" "${test_args[@]}" -- "${harness_args[@]}"
took "under qemu: $tests_label"

echo "-- aarch64 cross-build and tests done in $((SECONDS - t_all)) s"
