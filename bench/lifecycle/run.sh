#!/usr/bin/env bash
# bench/lifecycle/run.sh: the container lifecycle against runc and crun, as
# the calling user (root for the runc/crun rows), on one busybox rootfs:
#   1. create + start + delete of a container running /bin/true (mean ms)
#   2. N sequential foreground runs of /bin/true (crun's benchmark shape)
#   3. exec latency: EXECS runs of /bin/true in an already running container
#      (`cove exec` against `RT exec`)
#   4. the RSS of cove's monitor for an idle detached container, next to
#      conmon's (podman) where podman runs here
# then the ratios against runc that issue 5 sets as goals. Every external
# command runs under `timeout` (a timed loop under one, STEP_TIMEOUT per
# iteration); a row that fails is skipped with a loud message. See README.md.
#
# Environment: N=100 (sequential runs), CYCLES=20 (create/start/delete
# cycles), EXECS=100 (exec runs), COVE (default target/release/cove, built
# if missing), ROOTFS, STEP_TIMEOUT=30 (seconds per command), KEEP_WORK=1.
set -euo pipefail

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
repo=$(cd -- "$here/../.." && pwd -P)
N=${N:-100}
CYCLES=${CYCLES:-20}
EXECS=${EXECS:-100}
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
    for rt in runc crun; do
        command -v "$rt" >/dev/null && timeout "$T" "$rt" --root "$WORK/state-$rt" delete -f "$ID-sleep" >/dev/null 2>&1 || true
    done
    command -v podman >/dev/null && timeout "$T" podman rm -f "$ID-podman" >/dev/null 2>&1 || true
    [[ ${KEEP_WORK:-0} == 1 ]] || rm -rf -- "$WORK"
}
trap cleanup EXIT

R=${ROOTFS:-$WORK/rootfs}
[[ -n ${ROOTFS:-} ]] || "$repo/scripts/mkrootfs-busybox" "$R" >/dev/null

# stat_ms COUNT FUNC ARGS...: runs FUNC (an exported function) COUNT times
# in one child shell, timing each run (EPOCHREALTIME), and prints "MEDIAN
# MEAN" in ms, or fails (the caller skips the row). The median is the
# figure on a busy host, where a few runs wait for a CPU. The whole loop
# has one deadline (STEP_TIMEOUT per iteration), so no per-command
# `timeout` process is timed with each run.
stat_ms() {
    local count=$1 out
    shift
    out=$(timeout -k 5 "$((T * count))" bash -c '
        for ((i = 0; i < $1; i++)); do
            s=${EPOCHREALTIME/./}
            "${@:2}" >/dev/null 2>&1 || exit 1
            e=${EPOCHREALTIME/./}
            echo $((e - s))
        done' _ "$count" "$@") || return 1
    sort -n <<<"$out" | awk '{ v[NR] = $1; t += $1 }
        END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.1f %.1f", m / 1000, t / NR / 1000 }'
}
# cell "MEDIAN MEAN": the table's "median (mean)", or "failed".
cell() { [[ -n $1 ]] && echo "${1% *} (${1#* })" || echo failed; }

# bundle RUNTIME [ARGS...]: an OCI bundle over $R for runc/crun (no cgroup
# config) running /bin/true, or ARGS.
bundle() {
    local rt=$1 b=$WORK/bundle-$1${2:+-$2}
    shift
    mkdir -p "$b"
    (cd "$b" && timeout "$T" "$rt" spec) || return 1
    python3 "$repo/bench/startup/ocispec.py" "$b/config.json" "$R"
    if (($#)); then
        python3 -c 'import json, sys
p = sys.argv[1]; c = json.load(open(p)); c["process"]["args"] = sys.argv[2:]; json.dump(c, open(p, "w"))' "$b/config.json" "$@"
    fi
    printf '%s' "$b"
}

cove_cycle() {
    local id
    id=$("$COVE" create --rootfs "$R" -- /bin/true) || return 1
    "$COVE" start "$id" && "$COVE" wait "$id" && "$COVE" rm "$id"
}
oci_cycle() { # RUNTIME STATE BUNDLE
    "$1" --root "$2" create --bundle "$3" "$ID" </dev/null && "$1" --root "$2" start "$ID" && "$1" --root "$2" delete -f "$ID"
}
cove_run() { "$COVE" run --rm --rootfs "$R" -- /bin/true; }
cove_run_nonet() { "$COVE" run --rm --network none --rootfs "$R" -- /bin/true; }
oci_run() { "$1" --root "$2" run --bundle "$3" "$ID" </dev/null; }
cove_exec() { "$COVE" exec bench-idle /bin/true; }
oci_exec() { "$1" --root "$2" exec "$ID-sleep" /bin/true; }
export COVE R ID
export -f cove_cycle oci_cycle cove_run cove_run_nonet oci_run cove_exec oci_exec

declare -a rows
declare -A seq_ms exec_ms
row() { rows+=("| $1 | $2 | $3 | $4 |"); }

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
say "create + start + delete, $CYCLES cycles each"
cycle_cove=$(stat_ms "$CYCLES" cove_cycle) || { loud "cove cycle failed"; cycle_cove=; }
say "$N sequential runs each"
seq_ms[cove]=$(stat_ms "$N" cove_run) || { loud "cove run failed"; seq_ms[cove]=; }
seq_nonet=$(stat_ms "$N" cove_run_nonet) || { loud "cove run --network none failed"; seq_nonet=; }
say "$EXECS execs each into a running container"
# The same container serves the monitor's memory below.
timeout "$T" "$COVE" run -d --name bench-idle --rootfs "$R" -- /bin/sleep 300 >/dev/null
exec_ms[cove]=$(stat_ms "$EXECS" cove_exec) || { loud "cove exec failed"; exec_ms[cove]=; }
row cove "$(cell "$cycle_cove")" "$(cell "${seq_ms[cove]}")" "$(cell "${exec_ms[cove]}")"
row "cove, --network none" "" "$(cell "$seq_nonet")" ""
for rt in runc crun; do
    if ! command -v "$rt" >/dev/null || [[ $(id -u) != 0 ]]; then
        loud "SKIP $rt: not installed or not root"
        continue
    fi
    b=$(bundle "$rt") || { loud "SKIP $rt: no bundle"; continue; }
    st=$WORK/state-$rt
    c=$(stat_ms "$CYCLES" oci_cycle "$rt" "$st" "$b") || { loud "$rt cycle failed"; c=; }
    seq_ms[$rt]=$(stat_ms "$N" oci_run "$rt" "$st" "$b") || {
        loud "$rt run failed (crun refuses hybrid cgroup hosts)"
        seq_ms[$rt]=
    }
    timeout "$T" "$rt" --root "$st" delete -f "$ID" >/dev/null 2>&1 || true
    exec_ms[$rt]=
    if sb=$(bundle "$rt" sleep 300) && timeout "$T" "$rt" --root "$st" run -d --bundle "$sb" "$ID-sleep" </dev/null >/dev/null 2>&1; then
        exec_ms[$rt]=$(stat_ms "$EXECS" oci_exec "$rt" "$st") || { loud "$rt exec failed"; exec_ms[$rt]=; }
        timeout "$T" "$rt" --root "$st" delete -f "$ID-sleep" >/dev/null 2>&1 || true
    else
        loud "SKIP $rt exec: $rt run -d failed"
    fi
    row "$rt" "$(cell "$c")" "$(cell "${seq_ms[$rt]}")" "$(cell "${exec_ms[$rt]}")"
done

# ratio A B: median A / median B to two places, or "n/a" when either is missing.
ratio() { [[ -n $1 && -n $2 ]] && awk -v a="${1% *}" -v b="${2% *}" 'BEGIN { printf "%.2f", a / b }' || echo n/a; }
goals="medians: runc/cove, $N sequential runs: $(ratio "${seq_ms[runc]:-}" "${seq_ms[cove]:-}")× faster (goal ≥ 3); "
goals+="cove/runc, exec latency: $(ratio "${exec_ms[cove]:-}" "${exec_ms[runc]:-}") (goal ≤ 0.50)"

say "monitor memory"
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
    printf '| runtime, median (mean) ms | create+start+delete | %s sequential runs, each | exec latency |\n|---|---|---|---|\n' "$N"
    printf '%s\n' "${rows[@]}"
    printf '\n%s\n\n%s\n\nload average before: %s, after: %s\n' "$goals" "$memory" "$load_before" "$(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$RESULTS/lifecycle.md"
