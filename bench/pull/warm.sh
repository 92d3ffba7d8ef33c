#!/usr/bin/env bash
# bench/pull/warm.sh REF ROOTFS [ROUNDS]: a warm start, `cove run IMAGE
# /bin/true` against `cove run --rootfs ROOTFS /bin/true` (ROOTFS: the tree
# the image was built from, e.g. bench/pull/cache/bookworm-minbase), in
# interleaved rounds (each round runs both once, so a shared machine's load
# swings hit both alike). REF is pulled into a private store first.
# Prints a markdown table (mean, median, min, max in ms) and the ratio.
# Environment: COVE (default target/release/cove), NET (default none).
set -euo pipefail
ref=$1
rootfs=$2
rounds=${3:-30}
here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
COVE=${COVE:-$here/../../target/release/cove}
NET=${NET:-none}
work=$(mktemp -d /tmp/cove-bench-warm.XXXXXX)
trap 'rm -rf "$work"' EXIT
export COVE_ROOT=$work/store
timeout 600 "$COVE" pull -q "$ref" >/dev/null
image=(run --rm --network "$NET" "$ref" /bin/true)
dir=(run --rm --network "$NET" --rootfs "$rootfs" /bin/true)
# One of each first: page cache and the store's first use.
timeout 60 "$COVE" "${image[@]}" && timeout 60 "$COVE" "${dir[@]}"
now() { date +%s%N; }
for _ in $(seq "$rounds"); do
    t0=$(now); timeout 60 "$COVE" "${image[@]}"; t1=$(now)
    timeout 60 "$COVE" "${dir[@]}"; t2=$(now)
    echo "image $(((t1 - t0) / 1000))" >>"$work/times"
    echo "rootfs $(((t2 - t1) / 1000))" >>"$work/times"
done
python3 - "$work/times" <<'PY'
import statistics as st, sys
runs = {}
for line in open(sys.argv[1]):
    name, us = line.split()
    runs.setdefault(name, []).append(int(us) / 1000)
print("| command | mean [ms] | median [ms] | min [ms] | max [ms] |")
print("|:---|---:|---:|---:|---:|")
for name, label in (("image", "cove run IMAGE /bin/true"), ("rootfs", "cove run --rootfs DIR /bin/true")):
    r = runs[name]
    print(f"| `{label}` | {st.mean(r):.1f} | {st.median(r):.1f} | {min(r):.1f} | {max(r):.1f} |")
print(f"\nimage / rootfs: mean {st.mean(runs['image']) / st.mean(runs['rootfs']):.2f}, "
      f"median {st.median(runs['image']) / st.median(runs['rootfs']):.2f}")
PY
