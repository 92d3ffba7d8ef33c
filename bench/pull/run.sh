#!/usr/bin/env bash
# bench/pull/run.sh: a cold pull + unpack of a multi-layer image from a local
# registry (Debian's docker-registry on 127.0.0.1), `cove pull` against
# `skopeo copy` + `umoci unpack` (and `podman pull` when installed), in ONE
# hyperfine invocation so the figures sit side by side. Every run starts
# from an empty store. Run as root (umoci unpack keeps owners).
#
# Environment:
#   RUNS=5 WARMUP=1       hyperfine runs / warm-up runs per command
#   COVE=path             cove binary (default target/release/cove, built with
#                         `cargo build --release -p cove` if missing)
#   ROOTFS=dir            the image's root filesystem (default: debootstrap
#                         --variant=minbase bookworm, cached in $CACHE)
#   CACHE=dir             where the debootstrap tree is kept
#                         (default bench/pull/cache)
#   RESULTS=dir           output directory (default bench/pull/results)
#   KEEP_WORK=1           keep the temporary work directory
#   ROUNDS=N              also run interleaved.sh (N cold rounds) and
#                         warm.sh (3N warm rounds) against the same registry
#   SKIP_HYPERFINE=1      only the interleaved and warm runs
set -euo pipefail

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
repo=$(cd -- "$here/../.." && pwd -P)
RUNS=${RUNS:-5}
WARMUP=${WARMUP:-1}
CACHE=${CACHE:-$here/cache}
RESULTS=${RESULTS:-$here/results}
say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'bench/pull: %s\n' "$*" >&2; exit 1; }

for tool in docker-registry skopeo umoci hyperfine; do
    command -v "$tool" >/dev/null || die "$tool is missing (apt-get install docker-registry skopeo umoci hyperfine)"
done
[[ $(id -u) -eq 0 ]] || die "run as root (umoci unpack and debootstrap need it)"

COVE=${COVE:-$repo/target/release/cove}
if [[ ! -x $COVE ]]; then
    say "building $COVE"
    (cd "$repo" && cargo build --release -p cove)
fi

if [[ -z ${ROOTFS:-} ]]; then
    ROOTFS=$CACHE/bookworm-minbase
    if [[ ! -e $ROOTFS/.complete ]]; then
        command -v debootstrap >/dev/null || die "debootstrap is missing (apt-get install debootstrap) or set ROOTFS"
        say "debootstrap --variant=minbase bookworm $ROOTFS"
        rm -rf "$ROOTFS"
        mkdir -p "$CACHE"
        timeout 1200 debootstrap --variant=minbase bookworm "$ROOTFS" >&2
        touch "$ROOTFS/.complete"
    fi
fi

work=$(mktemp -d /tmp/cove-bench-pull.XXXXXX)
registry_pid=
cleanup() {
    [[ -n $registry_pid ]] && kill -KILL -- "-$registry_pid" 2>/dev/null || true
    [[ ${KEEP_WORK:-0} == 1 ]] || rm -rf "$work"
}
trap cleanup EXIT

# Three layers: the system without /usr/share and /var, then /usr/share, then /var.
say "building a 3-layer image from $ROOTFS"
layout=$work/src
umoci init --layout "$layout"
umoci new --image "$layout:img"
add_layer() {
    rm -rf "$work/bundle"
    umoci unpack --image "$layout:img" "$work/bundle" >/dev/null
    (cd "$ROOTFS" && tar -cf - "$@") | tar -xf - -C "$work/bundle/rootfs"
    umoci repack --image "$layout:img" "$work/bundle"
}
mapfile -t base < <(cd "$ROOTFS" && find . -mindepth 1 -maxdepth 1 ! -name usr ! -name var ! -name .complete)
mapfile -t usr < <(cd "$ROOTFS" && find ./usr -mindepth 1 -maxdepth 1 ! -name share)
add_layer "${base[@]}" "${usr[@]}"
add_layer ./usr/share
add_layer ./var
umoci config --image "$layout:img" --config.cmd /bin/true
size=$(du -sh "$layout/blobs" | cut -f1)

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$work/registry.yml" <<EOF2
version: 0.1
log: {level: error}
storage:
  filesystem: {rootdirectory: $work/registry}
http: {addr: 127.0.0.1:$port}
EOF2
setsid timeout -s KILL 3600 docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
registry_pid=$!
disown "$registry_pid"
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.1; done
ref=127.0.0.1:$port/bench/img:1
timeout 600 skopeo copy -q --dest-tls-verify=false "oci:$layout:img" "docker://$ref"
say "image $ref: $size of blobs, 3 layers"

cmds=(
    --command-name "cove pull" --command-name "skopeo copy + umoci unpack"
    --prepare "rm -rf $work/cove && sync"
    "COVE_ROOT=$work/cove $COVE pull -q $ref"
    --prepare "rm -rf $work/skopeo && mkdir -p $work/skopeo && sync"
    "skopeo copy -q --src-tls-verify=false docker://$ref oci:$work/skopeo/oci:img && umoci unpack --image $work/skopeo/oci:img $work/skopeo/bundle"
)
if command -v podman >/dev/null; then
    cmds+=(
        --command-name "podman pull"
        --prepare "rm -rf $work/podman && sync"
        "podman --root $work/podman/root --runroot $work/podman/run pull -q --tls-verify=false $ref"
    )
fi
mkdir -p "$RESULTS"
if [[ ${SKIP_HYPERFINE:-0} != 1 ]]; then
    hyperfine --runs "$RUNS" --warmup "$WARMUP" \
        --export-markdown "$RESULTS/pull.md" --export-json "$RESULTS/pull.json" "${cmds[@]}"
    say "results: $RESULTS/pull.md"
fi
if [[ -n ${ROUNDS:-} ]]; then
    say "interleaved cold pulls, $ROUNDS rounds (load: $(cut -d' ' -f1-3 /proc/loadavg))"
    COVE=$COVE bash "$here/interleaved.sh" "$ref" "$ROUNDS" | tee "$RESULTS/interleaved.md"
    say "warm starts, $((ROUNDS * 3)) rounds (load: $(cut -d' ' -f1-3 /proc/loadavg))"
    COVE=$COVE bash "$here/warm.sh" "$ref" "$ROOTFS" "$((ROUNDS * 3))" | tee "$RESULTS/warm.md"
    say "done (load: $(cut -d' ' -f1-3 /proc/loadavg))"
fi
