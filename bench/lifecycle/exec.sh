#!/usr/bin/env bash
# bench/lifecycle/exec.sh — exec latency: `cove exec` (today the hidden
# `cove __join`) vs `runc exec`, both running /bin/true in an already running
# container on the same busybox rootfs, timed by one `hyperfine -N` run.
#
# A stub of issue 5's bench/lifecycle (goal: cove exec ≤ ½ of runc exec).
# Root only for now (runc's rootless mode needs a different bundle). Until the
# container store exists, cove's container is a foreground `cove run` in the
# background and the exec is `cove __join --pid PID --plan FILE`; once
# `cove run -d` and `cove exec` exist, the cove row becomes
# `cove exec NAME /bin/true`.
#
# Settings: RUNS (200), WARMUP (20), COVE (target/release/cove), RESULTS
# (bench/lifecycle/results). Needs hyperfine, runc, python3, busybox-static.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
RUNS=${RUNS:-200}
WARMUP=${WARMUP:-20}
RESULTS=${RESULTS:-$here/results}
COVE=${COVE:-$repo/target/release/cove}
die() { printf 'exec.sh: error: %s\n' "$*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "run as root (runc's rootless bundle is not set up here yet)"
for t in hyperfine runc python3 timeout; do command -v "$t" >/dev/null || die "$t not found (apt-get install hyperfine runc python3 coreutils)"; done
[[ -x $COVE ]] || (cd "$repo" && cargo build --release -p cove)

work=$(mktemp -d /tmp/cove-bench-exec.XXXXXX)
R=$work/rootfs
state=$work/runc-state
id=cove-bench-exec-$$
cove_pid=
cleanup() {
    [[ -n $cove_pid ]] && kill -KILL "$cove_pid" 2>/dev/null || true
    timeout 10 runc --root "$state" delete -f "$id" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

"$repo/scripts/mkrootfs-busybox" "$R"

# cove: the container runs sleep; its first process is cove's child.
"$COVE" __plan --rootfs "$R" -- sleep 600 >"$work/plan.json"
# (bounded: sleep 600, and killed on exit)
"$COVE" run --rootfs "$R" -- sleep 600 </dev/null >/dev/null 2>&1 &
cove_pid=$!
disown "$cove_pid"
init=
for _ in $(seq 100); do
    init=$(pgrep -P "$cove_pid" -x sleep || true)
    [[ -n $init ]] && break
    sleep 0.05
done
[[ -n $init ]] || die "cove's container did not start"
cove_cmd="$COVE __join --pid $init --plan $work/plan.json -- /bin/true"

# runc: a detached container running sleep, from runc spec + the startup
# bench's adaptation (no cgroup settings on this hybrid host).
bundle=$work/bundle
mkdir -p "$bundle" "$state"
(cd "$bundle" && runc spec)
python3 "$repo/bench/startup/ocispec.py" "$bundle/config.json" "$R"
python3 - "$bundle/config.json" <<'PY'
import json, sys
p = sys.argv[1]
cfg = json.load(open(p))
cfg["process"]["args"] = ["sleep", "600"]
json.dump(cfg, open(p, "w"))
PY
timeout 30 runc --root "$state" run -d --bundle "$bundle" "$id" </dev/null >/dev/null 2>&1 || die "runc run -d failed"
runc_cmd="runc --root $state exec $id /bin/true"

for c in "$cove_cmd" "$runc_cmd"; do
    timeout 30 $c || die "probe failed: $c"
done

mkdir -p "$RESULTS"
hyperfine -N --warmup "$WARMUP" --runs "$RUNS" \
    --export-json "$RESULTS/exec.json" --export-markdown "$RESULTS/exec.md" \
    -n "cove exec (join)" "$cove_cmd" -n "runc exec" "$runc_cmd"
python3 - "$RESULTS/exec.json" <<'PY'
import json, sys
r = {x["command"]: x["median"] for x in json.load(open(sys.argv[1]))["results"]}
cove, runc = r["cove exec (join)"], r["runc exec"]
print(f"\nmedian: cove {cove*1e3:.2f} ms, runc {runc*1e3:.2f} ms, cove/runc = {cove/runc:.2f} (goal ≤ 0.50)")
PY
