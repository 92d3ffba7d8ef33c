#!/usr/bin/env bash
# bench/network/run.sh: the built-in network (--network bridge) against
# slirp4netns, pasta (when installed) and the host's own network, in one run.
# Root only (it makes a test host: a network namespace with a veth pair,
# as in /work/shared/design/test-recipes.md; only that namespace is a target).
#
# Rows (each a separate container/namespace talking to the test host):
#   host        iperf3 from the host's namespace (the ceiling)
#   cove        cove run --network bridge (zero-setup root: the host's iperf3)
#   slirp4netns unshare -rn + slirp4netns --configure --mtu 65520
#   pasta       pasta --config-net (if `pasta` exists)
# Figures: TCP throughput container→host and host→container (iperf3 -R), and
# TCP connections set up per second (a Python loop of connect/close).
#
# The container rows run rootless as $BENCH_USER (pasta refuses root), with
# /dev/net/tun made 0666 for the run (as most distributions ship it; the old
# mode is restored at exit).
#
# Environment: COVE=path (default target/release/cove), SECONDS_PER_RUN=5,
# BENCH_USER=covetest, RESULTS=dir (default bench/network/results).
set -euo pipefail

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
repo=$(cd -- "$here/../.." && pwd -P)
COVE=${COVE:-$repo/target/release/cove}
T=${SECONDS_PER_RUN:-5}
BENCH_USER=${BENCH_USER:-covetest}
RESULTS=${RESULTS:-$here/results}
NS=cvbench
IP=10.253.0.2

die() { printf 'run.sh: error: %s\n' "$*" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || die "run as root (it creates a network namespace)"
for t in iperf3 python3 ip slirp4netns unshare nsenter; do
    command -v "$t" >/dev/null || die "$t not found (apt-get install iperf3 slirp4netns iproute2 python3)"
done
[[ -x $COVE ]] || (cd "$repo" && cargo build --release -p cove)
id "$BENCH_USER" >/dev/null 2>&1 || useradd -m -s /bin/sh "$BENCH_USER"
as_user() { setpriv --reuid "$BENCH_USER" --regid "$BENCH_USER" --init-groups -- "$@"; }
tun_mode=$(stat -c %a /dev/net/tun)
mkdir -p "$RESULTS"
out=$RESULTS/network.md

cleanup() {
    chmod "$tun_mode" /dev/net/tun
    [[ -n ${server:-} ]] && kill "$server" 2>/dev/null || true
    ip netns del "$NS" 2>/dev/null || true
    ip link del cvbencha 2>/dev/null || true
}
trap cleanup EXIT
cleanup
chmod 0666 /dev/net/tun
ip netns add "$NS"
ip link add cvbencha type veth peer name cvbenchb
ip link set cvbenchb netns "$NS"
ip addr add 10.253.0.1/24 dev cvbencha && ip link set cvbencha up
ip -n "$NS" addr add "$IP/24" dev cvbenchb && ip -n "$NS" link set cvbenchb up && ip -n "$NS" link set lo up
ip netns exec "$NS" iperf3 -s -B "$IP" -p 5201 >/dev/null 2>&1 &
server=$!
ip netns exec "$NS" python3 -c "
import socket
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('$IP', 7000)); s.listen(1024)
while True:
    c,_=s.accept(); c.close()" &
acceptor=$!
trap 'kill $acceptor 2>/dev/null; cleanup' EXIT
for _ in $(seq 100); do timeout 1 bash -c "</dev/tcp/$IP/5201" 2>/dev/null && break; sleep 0.1; done

# The measurement, run inside each network: "up down conn/s".
measure=$(cat <<EOF
set -e
up=\$(timeout $((T + 20)) iperf3 -c $IP -t $T -J | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e9, 2))')
down=\$(timeout $((T + 20)) iperf3 -c $IP -t $T -R -J | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e9, 2))')
conn=\$(timeout 60 python3 -c '
import socket, time
n, t0 = 0, time.time()
while time.time() - t0 < 3:
    s = socket.create_connection(("$IP", 7000)); s.close(); n += 1
print(int(n / (time.time() - t0)))')
echo "\$up \$down \$conn"
EOF
)

declare -A res
res[host]=$(bash -c "$measure")
res[cove]=$(as_user "$COVE" run --network bridge -- sh -c "$measure")
# slirp4netns: a user+net namespace that waits for its tap device.
res[slirp4netns]=$(
    # (setpriv and unshare exec, so $! is the namespace's process)
    setpriv --reuid "$BENCH_USER" --regid "$BENCH_USER" --init-groups -- unshare -rn sh -c "for i in \$(seq 100); do ip route 2>/dev/null | grep -q default && break; sleep 0.1; done; $measure" &
    ns=$!
    sleep 0.2
    as_user slirp4netns --configure --mtu=65520 --disable-host-loopback "$ns" tap0 >/dev/null 2>&1 &
    slirp=$!
    wait "$ns"
    kill "$slirp" 2>/dev/null || true
)
if command -v pasta >/dev/null; then
    res[pasta]=$(timeout 120 setpriv --reuid "$BENCH_USER" --regid "$BENCH_USER" --init-groups -- \
        pasta --config-net -q -- sh -c "$measure" 2>/dev/null || echo "- - -")
fi

{
    echo "| network | container→host Gbit/s | host→container Gbit/s | TCP connects/s | vs slirp4netns (up/down/conn) |"
    echo "|---|---|---|---|---|"
    read -r su sd sc <<<"${res[slirp4netns]}"
    for row in host cove slirp4netns pasta; do
        [[ -n ${res[$row]:-} ]] || continue
        read -r u d c <<<"${res[$row]}"
        ratio=$(python3 -c "
f=lambda a,b: '%.2f' % (float(a)/float(b)) if b not in ('-','0','0.0') and a != '-' else '-'
print(f('$u','$su'), f('$d','$sd'), f('$c','$sc'), sep=' / ')")
        echo "| $row | $u | $d | $c | $ratio |"
    done
} | tee "$out"
echo "(written to $out; $T s per iperf3 run, kernel $(uname -r), $(nproc) CPUs)"
