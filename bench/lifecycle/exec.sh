#!/usr/bin/env bash
# bench/lifecycle/exec.sh — exec latency: `cove exec` vs `runc exec`, both
# running /bin/true in an already running container on the same busybox
# rootfs, timed by one `hyperfine -N` run.
#
# A stub of issue 5's bench/lifecycle (goal: cove exec ≤ ½ of runc exec).
# Root only for now (runc's rootless mode needs a different bundle). cove's
# container is `cove run -d` in a private store (COVE_ROOT); each timed run
# is `cove exec NAME /bin/true`.
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
cleanup() {
    [[ -d $work/cove-store ]] && COVE_ROOT=$work/cove-store timeout 30 "$COVE" rm -f bench >/dev/null 2>&1 || true
    timeout 10 runc --root "$state" delete -f "$id" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

"$repo/scripts/mkrootfs-busybox" "$R"

# cove: a detached container running sleep, in a private store.
export COVE_ROOT=$work/cove-store
timeout 30 "$COVE" run -d --name bench --rootfs "$R" -- sleep 600 >/dev/null || die "cove run -d failed"
cove_cmd="$COVE exec bench /bin/true"

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
    -n "cove exec" "$cove_cmd" -n "runc exec" "$runc_cmd"
python3 - "$RESULTS/exec.json" <<'PY'
import json, sys
r = {x["command"]: x["median"] for x in json.load(open(sys.argv[1]))["results"]}
cove, runc = r["cove exec"], r["runc exec"]
print(f"\nmedian: cove {cove*1e3:.2f} ms, runc {runc*1e3:.2f} ms, cove/runc = {cove/runc:.2f} (goal ≤ 0.50)")
PY
