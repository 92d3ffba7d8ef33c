#!/usr/bin/env bash
# bench/oci/run.sh: one OCI create + start + delete cycle (process /bin/true)
# for cove, crun and runc on the same bundle (busybox rootfs, `runc spec`
# with terminal off), as root, in ONE hyperfine run. Every row runs through
# the same wrapper (`unshare -m` + cycle.sh) so the overhead is equal.
#
# Environment: RUNS=100 WARMUP=10, COVE=path (default target/release/cove),
# RESULTS=dir (default bench/oci/results).
set -euo pipefail
here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
repo=$(cd -- "$here/../.." && pwd -P)
RUNS=${RUNS:-100}
WARMUP=${WARMUP:-10}
RESULTS=${RESULTS:-$here/results}
COVE=${COVE:-$repo/target/release/cove}
die() { printf 'run.sh: error: %s\n' "$*" >&2; exit 1; }

[[ $(id -u) == 0 ]] || die "run as root (runc and crun rows need it)"
command -v hyperfine >/dev/null || die "hyperfine not found (apt-get install hyperfine)"
[[ -x $COVE ]] || (cd "$repo" && cargo build --release -p cove)
mkdir -p "$RESULTS"
work=$(mktemp -d /tmp/cove-bench-oci.XXXXXX)
trap 'rm -rf "$work"' EXIT
"$repo/scripts/mkrootfs-busybox" "$work/bundle/rootfs" >/dev/null
(cd "$work/bundle" && timeout 20 runc spec)
python3 - "$work/bundle/config.json" <<'PY'
import json, sys
p = sys.argv[1]; c = json.load(open(p))
c["process"]["terminal"] = False
c["process"]["args"] = ["/bin/true"]
json.dump(c, open(p, "w"))
PY
ln -s "$COVE" "$work/cove-oci"

cmds=() names=()
for rt in "$work/cove-oci" "$(command -v crun || true)" "$(command -v runc || true)"; do
    [[ -n $rt ]] || continue
    name=$(basename "$rt")
    cmd="unshare -m --propagation private env HYBRID_TMPFS=1 sh $here/cycle.sh $work/state-$name $work/bundle $rt"
    if ! timeout 30 $cmd >/dev/null 2>"$work/err"; then
        printf '!!! SKIP %s: %s\n' "$name" "$(tail -1 "$work/err")" >&2
        continue
    fi
    names+=(-n "$name") cmds+=("$cmd")
done
((${#cmds[@]})) || die "no runtime works here"
hyperfine -N --runs "$RUNS" --warmup "$WARMUP" --export-json "$RESULTS/oci.json" \
    --export-markdown "$RESULTS/oci.md" "${names[@]}" "${cmds[@]}"
