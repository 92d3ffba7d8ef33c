#!/usr/bin/env bash
# bench/lifecycle/run.sh: the container lifecycle against runc and crun, as
# the calling user (root for the runc/crun rows), on one busybox rootfs:
#   1. create + start + delete of a container running /bin/true
#   2. N sequential foreground runs of /bin/true (crun's benchmark shape)
#   3. exec latency: EXECS runs of /bin/true in an already running container
#      (`cove exec` against `RT exec`)
#   4. the RSS of cove's monitor for an idle detached container, next to
#      conmon's (podman) where podman runs here
# then the ratios against runc that issue 5 sets as goals. The runtimes
# take turns within each measure; figures are median (mean) ms. Every
# external command runs under `timeout` (a timed loop under one,
# STEP_TIMEOUT per run); a runtime that fails gets `failed` cells and a
# loud message. See README.md.
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

# interleaved COUNT "KEY|FUNC ARGS..."...: runs each command (an exported
# function) COUNT times in one child shell, in turn, rotating the order
# every round, so a busy host's load falls on every runtime alike; each run
# is timed (EPOCHREALTIME), so no wrapper process is timed with it. The
# whole loop has one deadline (STEP_TIMEOUT per run). Prints "KEY MEDIAN
# MEAN" (ms) per command, or "KEY" alone for one that failed (not run
# again). The median is the figure on a busy host, where a few runs wait
# for a CPU.
interleaved() {
    local count=$1 out key rest
    shift
    out=$(timeout -k 5 "$((T * count * $#))" bash -c '
        count=$1
        shift
        declare -A dead
        for ((i = 0; i < count; i++)); do
            for ((j = 0; j < $#; j++)); do
                spec=${@:((i + j) % $# + 1):1}
                key=${spec%%|*}
                [[ -n ${dead[$key]:-} ]] && continue
                s=${EPOCHREALTIME/./}
                if eval "${spec#*|}" >/dev/null 2>&1; then
                    e=${EPOCHREALTIME/./}
                    echo "$key $((e - s))"
                else
                    dead[$key]=1
                    echo "$key failed"
                fi
            done
        done' _ "$count" "$@") || return 1
    awk '$2 == "failed" { bad[$1] = 1 } $2 != "failed" { v[$1] = v[$1] " " $2 }
        END { for (k in v) if (!(k in bad)) print k v[k]; for (k in bad) print k }' <<<"$out" |
        while read -r key rest; do
            [[ -z $rest ]] && { echo "$key"; continue; }
            tr ' ' '\n' <<<"$rest" | sort -n | awk -v k="$key" '{ v[NR] = $1; t += $1 } END {
                m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
                printf "%s %.1f %.1f\n", k, m / 1000, t / NR / 1000 }'
        done
}
# cell "MEDIAN MEAN": the table's "median (mean)", or "failed".
cell() { [[ -n $1 ]] && echo "${1% *} (${1#* })" || echo failed; }
# spec KEY FUNC ARGS...: one command for `interleaved`, arguments quoted.
spec() {
    local key=$1
    shift
    printf '%s|%s' "$key" "$(printf '%q ' "$@")"
}

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
declare -A cyc seq ex
row() { rows+=("| $1 | $2 | $3 | $4 |"); }

# The OCI runtimes here, each with its bundles and a running container for
# exec; cove's running container serves the monitor's memory below too.
declare -a oci=()
timeout "$T" "$COVE" run -d --name bench-idle --rootfs "$R" -- /bin/sleep 600 >/dev/null || loud "cove run -d failed"
for rt in runc crun; do
    if ! command -v "$rt" >/dev/null || [[ $(id -u) != 0 ]]; then
        loud "SKIP $rt: not installed or not root"
        continue
    fi
    b=$(bundle "$rt") && sb=$(bundle "$rt" sleep 600) || { loud "SKIP $rt: no bundle"; continue; }
    st=$WORK/state-$rt
    timeout "$T" "$rt" --root "$st" run -d --bundle "$sb" "$ID-sleep" </dev/null >/dev/null 2>&1 ||
        loud "$rt run -d failed (crun refuses hybrid cgroup hosts): no $rt exec row"
    oci+=("$rt|$st|$b")
done
# specs MEASURE: the commands of one measure, cove first.
specs() {
    case $1 in
        cycle) spec cove cove_cycle ;;
        seq) spec cove cove_run && echo && spec cove-nonet cove_run_nonet ;;
        exec) spec cove cove_exec ;;
    esac
    echo
    local o rt st b
    for o in "${oci[@]}"; do
        IFS='|' read -r rt st b <<<"$o"
        case $1 in
            cycle) spec "$rt" oci_cycle "$rt" "$st" "$b" ;;
            seq) spec "$rt" oci_run "$rt" "$st" "$b" ;;
            exec) spec "$rt" oci_exec "$rt" "$st" ;;
        esac
        echo
    done
}
# measure ARRAY COUNT MEASURE: fills ARRAY[KEY] with "MEDIAN MEAN".
measure() {
    local -n into=$1
    local key rest
    local -a list
    mapfile -t list < <(specs "$3")
    while read -r key rest; do
        into[$key]=$rest
        [[ -n $rest ]] || loud "$3: $key failed"
    done < <(interleaved "$2" "${list[@]}" || loud "$3: the timed loop failed or hit its deadline")
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
say "create + start + delete, $CYCLES cycles each, interleaved"
measure cyc "$CYCLES" cycle
say "$N sequential runs each, interleaved"
measure seq "$N" seq
say "$EXECS execs each into a running container, interleaved"
measure ex "$EXECS" exec
for o in "${oci[@]}"; do
    IFS='|' read -r rt st _ <<<"$o"
    timeout "$T" "$rt" --root "$st" delete -f "$ID" >/dev/null 2>&1 || true
    timeout "$T" "$rt" --root "$st" delete -f "$ID-sleep" >/dev/null 2>&1 || true
done
row cove "$(cell "${cyc[cove]:-}")" "$(cell "${seq[cove]:-}")" "$(cell "${ex[cove]:-}")"
row "cove, --network none" "" "$(cell "${seq[cove-nonet]:-}")" ""
for o in "${oci[@]}"; do
    rt=${o%%|*}
    row "$rt" "$(cell "${cyc[$rt]:-}")" "$(cell "${seq[$rt]:-}")" "$(cell "${ex[$rt]:-}")"
done

# ratio A B: median A / median B to two places, or "n/a" when either is missing.
ratio() { [[ -n $1 && -n $2 ]] && awk -v a="${1% *}" -v b="${2% *}" 'BEGIN { printf "%.2f", a / b }' || echo n/a; }
goals="medians: runc/cove, $N sequential runs: $(ratio "${seq[runc]:-}" "${seq[cove]:-}")× faster (goal ≥ 3); "
goals+="cove/runc, exec latency: $(ratio "${ex[cove]:-}" "${ex[runc]:-}") (goal ≤ 0.50)"

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
