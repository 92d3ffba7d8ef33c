#!/usr/bin/env bash
# cross.sh — compile cove for Windows and macOS on this Linux host and run
# what can run here (see docs/windows.md, docs/macos.md and the design note
# shared/design/crossbuild.md):
#   1. cargo check + clippy -D warnings for x86_64-pc-windows-gnu and
#      aarch64-apple-darwin, with Debian's rustc-web and -Zbuild-std (the
#      rustup toolchain here has no Windows or Apple standard library);
#   2. the Windows unit tests under Wine (mingw-w64 links them);
#   3. cove.exe under Wine: `info`, `run` (refused: Wine has no
#      AppContainers) and `test`.
# Every Wine call has a deadline (timeout). What Wine cannot show is printed
# as a loud SKIP line. COVE_CROSS_TARGETS=windows (or macos) limits step 1.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
step() { printf '\n==> cross: %s (%ss)\n' "$*" "$((SECONDS - start))" >&2; }
skip() { printf '*** SKIP(%s): %s ***\n' "$1" "$2" >&2; }
fail() { printf '\ncross.sh: FAILED: %s\n' "$*" >&2; exit 1; }

PKGS=(rustc-web cargo-web rust-web-src rust-web-clippy gcc-mingw-w64-x86-64-win32 wine wine64)
v() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || true; }
if ! dpkg -s "${PKGS[@]}" >/dev/null 2>&1 || [[ "$(v rustc-web)" != "$(v rust-web-src)" ]]; then
    if [[ $(id -u) -ne 0 ]]; then
        [[ ${COVE_TEST_STRICT:-0} == 1 ]] && fail "missing ${PKGS[*]} (run as root once to install them)"
        skip "cross" "missing ${PKGS[*]}: run scripts/test-all (or ci/cross.sh) as root once to install them"
        exit 0
    fi
    step "installing ${PKGS[*]}"
    apt-get update -qq   # rustc-web replaces Debian's rustc 1.63; rustup is unaffected
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${PKGS[@]}" >/dev/null
fi

export RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1
export CARGO_TARGET_DIR="$PWD/target/cross"
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER="timeout 300 wine"
export WINEPREFIX="$CARGO_TARGET_DIR/wineprefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
# No Apple C toolchain here: C code of build scripts (zstd-sys) gets empty
# objects, which is enough for check and clippy (nothing is linked).
export CC_aarch64_apple_darwin="$PWD/ci/no-cc.sh" AR_aarch64_apple_darwin="$PWD/ci/no-cc.sh"
CARGO=/usr/bin/cargo
BS=(-Zbuild-std)
echo "cross: toolchain $($RUSTC --version)" >&2

# The black-box tests in tests/ drive Linux containers; every other target of
# every package is checked.
PKG_TARGETS=(-p cove-core -p cove-image -p cove-backend-windows -p cove-backend-macos --all-targets)
targets=()
[[ ${COVE_CROSS_TARGETS:-windows,macos} == *windows* ]] && targets+=(x86_64-pc-windows-gnu)
[[ ${COVE_CROSS_TARGETS:-windows,macos} == *macos* ]] && targets+=(aarch64-apple-darwin)
for t in "${targets[@]}"; do
    step "check $t"
    $CARGO check "${BS[@]}" --target "$t" "${PKG_TARGETS[@]}" || fail "cargo check --target $t"
    $CARGO check "${BS[@]}" --target "$t" -p cove --bins || fail "cargo check --target $t -p cove"
    step "clippy $t"
    /usr/bin/cargo-clippy clippy "${BS[@]}" --target "$t" "${PKG_TARGETS[@]}" -- -D warnings || fail "clippy --target $t"
    /usr/bin/cargo-clippy clippy "${BS[@]}" --target "$t" -p cove --bins -- -D warnings || fail "clippy --target $t -p cove"
done

step "Wine prefix"
if ! [[ -f "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll" ]]; then
    mkdir -p "$CARGO_TARGET_DIR"
    x86_64-w64-mingw32-gcc -O2 -shared -s -o "$CARGO_TARGET_DIR/bcryptprimitives.dll" ci/bcryptprimitives.c -ladvapi32
    timeout 180 wineboot -i >/dev/null 2>&1 || true
    cp "$CARGO_TARGET_DIR/bcryptprimitives.dll" "$WINEPREFIX/drive_c/windows/system32/"
fi
cleanup() { timeout 20 wineserver -k 2>/dev/null || true; }
trap cleanup EXIT

step "Windows unit tests under Wine"
$CARGO test "${BS[@]}" --target x86_64-pc-windows-gnu -p cove-backend-windows -p cove-core \
    || fail "Windows unit tests under Wine"
skip "windows appcontainer" "Wine $(wine --version 2>/dev/null) stubs CreateAppContainerProfile: AppContainer isolation is verified only on a real Windows machine (docs/windows.md checklist)"
skip "windows job limits" "Wine accepts but does not enforce job memory, CPU-rate and process limits"
skip "macos" "no macOS here: the profile is golden-tested and the spawn runs with a stand-in sandbox-exec on Linux (docs/macos.md checklist)"

step "cove.exe under Wine"
$CARGO build "${BS[@]}" --target x86_64-pc-windows-gnu -p cove --bin cove || fail "build cove.exe"
ci/wine-smoke.sh "$CARGO_TARGET_DIR/x86_64-pc-windows-gnu/debug/cove.exe" || fail "cove.exe under Wine"
printf '\ncross.sh: OK in %ss\n' "$((SECONDS - start))" >&2
