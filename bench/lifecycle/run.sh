#!/usr/bin/env bash
# bench/lifecycle/run.sh: the container lifecycle against runc and crun, as
# the calling user (root for the runc/crun rows), on one busybox rootfs:
#   1. create + start + delete of a container running /bin/true (mean ms)
#   2. N sequential foreground runs of /bin/true (crun's benchmark shape)
#   3. the RSS of cove's monitor for an idle detached container, next to
#      conmon's (podman) where podman runs here
# Every external command runs under `timeout`; a row that fails is skipped
# with a loud message. See README.md.
#
# Environment: N=100 (sequential runs), CYCLES=20 (create/start/delete
# cycles), COVE (default target/release/cove, built if missing), ROOTFS,
# STEP_TIMEOUT=30 (seconds per command), KEEP_WORK=1.
set -euo pipefail

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
repo=$(cd -- "$here/../.." && pwd -P)
N=${N:-100}
CYCLES=${CYCLES:-20}
T=${STEP_TIMEOUT:-30}
COVE=${COVE:-$repo/target/release/cove}
RESULTS=${RESULTS:-$here/results}
mkdir -p "$RESULTS"

say() { printf '==> %s\n' "$*" >&2; }
loud() { printf '\n!!! %s\n\n' "$*" >&2; }
if [[ ! -x $COVE ]]; then
    say "building $COVE"
    (cd "$repo" && cargo build --release -p cove)
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/cove-bench-lc.XXXXXX")
chmod 0755 "$WORK"
export COVE_ROOT=$WORK/store
ID=cove-bench-lc-$$
cleanup() {
    timeout "$T" "$COVE" rm -f bench-idle >/dev/null 2>&1 || true
    command -v podman >/dev/null && timeout "$T" podman rm -f "$ID-podman" >/dev/null 2>&1 || true
    [[ ${KEEP_WORK:-0} == 1 ]] || rm -rf -- "$WORK"
}
trap cleanup EXIT

R=${ROOTFS:-$WORK/rootfs}
[[ -n ${ROOTFS:-} ]] || "$repo/scripts/mkrootfs-busybox" "$R" >/dev/null

# now_ms: milliseconds since the epoch.
now_ms() { date +%s%3N; }

# mean_ms COUNT CMD...: runs CMD COUNT times, prints the mean in ms, or
# fails (the caller skips the row).
mean_ms() {
    local count=$1 start end i
    shift
    start=$(now_ms)
    for ((i = 0; i < count; i++)); do
        "$@" >/dev/null 2>&1 || return 1
    done
    end=$(now_ms)
    awk -v t=$((end - start)) -v n="$count" 'BEGIN { printf "%.1f", t / n }'
}

# bundle RUNTIME: an OCI bundle over $R for runc/crun (no cgroup config).
bundle() {
    local b=$WORK/bundle-$1
    mkdir -p "$b"
    (cd "$b" && timeout "$T" "$1" spec) || return 1
    python3 "$repo/bench/startup/ocispec.py" "$b/config.json" "$R"
    printf '%s' "$b"
}

cove_cycle() {
    local id
    id=$(timeout "$T" "$COVE" create --rootfs "$R" -- /bin/true) || return 1
    timeout "$T" "$COVE" start "$id" && timeout "$T" "$COVE" wait "$id" && timeout "$T" "$COVE" rm "$id"
}
oci_cycle() { # RUNTIME STATE BUNDLE
    timeout "$T" "$1" --root "$2" create --bundle "$3" "$ID" </dev/null &&
        timeout "$T" "$1" --root "$2" start "$ID" && timeout "$T" "$1" --root "$2" delete -f "$ID"
}
cove_run() { timeout "$T" "$COVE" run --rm --rootfs "$R" -- /bin/true; }
oci_run() { timeout "$T" "$1" --root "$2" run --bundle "$3" "$ID" </dev/null; }

declare -a rows
row() { rows+=("| $1 | $2 | $3 |"); }

say "create + start + delete, $CYCLES cycles each"
cycle_cove=$(mean_ms "$CYCLES" cove_cycle) || { loud "cove cycle failed"; cycle_cove=; }
say "$N sequential runs each"
seq_cove=$(mean_ms "$N" cove_run) || { loud "cove run failed"; seq_cove=; }
row cove "${cycle_cove:-failed}" "${seq_cove:-failed}"
for rt in runc crun; do
    if ! command -v "$rt" >/dev/null || [[ $(id -u) != 0 ]]; then
        loud "SKIP $rt: not installed or not root"
        continue
    fi
    b=$(bundle "$rt") || { loud "SKIP $rt: no bundle"; continue; }
    st=$WORK/state-$rt
    c=$(mean_ms "$CYCLES" oci_cycle "$rt" "$st" "$b") || { loud "$rt cycle failed"; c=; }
    s=$(mean_ms "$N" oci_run "$rt" "$st" "$b") || { loud "$rt run failed (crun refuses hybrid cgroup hosts)"; s=; }
    timeout "$T" "$rt" --root "$st" delete -f "$ID" >/dev/null 2>&1 || true
    row "$rt" "${c:-failed}" "${s:-failed}"
done

say "monitor memory"
timeout "$T" "$COVE" run -d --name bench-idle --rootfs "$R" -- /bin/sleep 300 >/dev/null
sleep 1
mon=$(timeout "$T" "$COVE" inspect -f '{{.Cove.MonitorPid}}' bench-idle)
rss() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
pss() { awk '$1 == "Pss:" { print $2 }' "/proc/$1/smaps_rollup"; }
figures() { echo "VmRSS $(rss "$1" VmRSS) kB, RssAnon $(rss "$1" RssAnon) kB, Pss $(pss "$1") kB"; }
memory="cove monitor: $(figures "$mon")"
# podman's own defaults (nofile 1048576, nproc) fail on hosts with lower
# hard limits: ask for the host's, cgroupfs (no systemd here), and runc
# where present (crun refuses hybrid cgroup hosts).
podman_limits=(--cgroup-manager cgroupfs --ulimit "nofile=$(ulimit -Hn):$(ulimit -Hn)" --ulimit nproc=4096:4096)
command -v runc >/dev/null && podman_limits+=(--runtime "$(command -v runc)")
if command -v podman >/dev/null && timeout "$T" podman run -d --name "$ID-podman" "${podman_limits[@]}" --rootfs "$R" /bin/sleep 300 >/dev/null 2>&1; then
    sleep 1
    cpid=$(pgrep -f "conmon.*$ID-podman" | head -n 1 || true)
    [[ -n $cpid ]] && memory+="; conmon: $(figures "$cpid")"
else
    loud "SKIP conmon: podman run -d failed here"
fi

{
    printf '| runtime | create+start+delete (ms) | %s sequential runs, each (ms) |\n|---|---|---|\n' "$N"
    printf '%s\n' "${rows[@]}"
    printf '\n%s\n' "$memory"
} | tee "$RESULTS/lifecycle.md"
