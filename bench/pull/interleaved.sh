#!/usr/bin/env bash
# bench/pull/interleaved.sh REF [ROUNDS]: cold pulls of REF (an image in a
# local registry, e.g. the one bench/pull/run.sh serves with KEEP_WORK=1, or
# any loopback registry) by cove, podman and skopeo + umoci, in rounds: each
# round runs every command once, so the load swings of a shared machine hit
# every command alike (hyperfine runs one command's runs back to back).
# Set COVE_BASE=path to add an older cove binary as a fourth command.
# Prints a markdown table of means (wall, user, sys) and podman/this ratios.
set -euo pipefail
ref=$1
rounds=${2:-4}
here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
COVE=${COVE:-$here/../../target/release/cove}
work=$(mktemp -d /tmp/cove-bench-interleaved.XXXXXX)
times=$work/times
trap 'rm -rf "$work"' EXIT
cmds=(cove podman skopeo-umoci)
[[ -n ${COVE_BASE:-} ]] && cmds+=(cove-base)
for _ in $(seq "$rounds"); do
    for c in "${cmds[@]}"; do
        d=$work/$c
        rm -rf "$d" && mkdir -p "$d" && sync
        case $c in
            cove) cmd="COVE_ROOT=$d $COVE pull -q $ref" ;;
            cove-base) cmd="COVE_ROOT=$d $COVE_BASE pull -q $ref" ;;
            podman) cmd="podman --root $d/root --runroot $d/run pull -q --tls-verify=false $ref" ;;
            skopeo-umoci) cmd="skopeo copy -q --src-tls-verify=false docker://$ref oci:$d/oci:img && umoci unpack --image $d/oci:img $d/bundle" ;;
        esac
        /usr/bin/time -f "$c %e %U %S" -a -o "$times" timeout 600 bash -c "$cmd" >/dev/null 2>&1
    done
done
python3 - "$times" <<'PY'
import statistics as st, sys
runs = {}
for line in open(sys.argv[1]):
    p = line.split()
    if len(p) == 4:
        runs.setdefault(p[0], []).append([float(x) for x in p[1:]])
podman = st.mean(r[0] for r in runs["podman"])
print("| command | mean [s] | min [s] | max [s] | user [s] | system [s] | podman / this |")
print("|:---|---:|---:|---:|---:|---:|---:|")
for name, rs in runs.items():
    wall = [r[0] for r in rs]
    print(f"| {name} | {st.mean(wall):.2f} | {min(wall):.2f} | {max(wall):.2f} | "
          f"{st.mean(r[1] for r in rs):.2f} | {st.mean(r[2] for r in rs):.2f} | {podman / st.mean(wall):.2f} |")
PY
