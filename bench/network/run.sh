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
# Figures: TCP throughput container→host and host→container (iperf3 -R),
# TCP connections set up per second (a Python loop of connect, wait for the
# server's close, close: the server closes first, so TIME_WAIT stays on the
# test host; a client that closes first keeps ~15000 TIME_WAIT sockets to
# the one destination after the host row, and every later connect() then
# spends ~5 ms searching for a free ephemeral port: ~230 connects/s for
# every stack), and
# requests per second to a published port (a Python HTTP responder inside,
# published on 127.0.0.1:$PPORT: cove -p, slirp4netns add_hostfwd through its
# API socket, pasta -t; a loop of connect/GET/read/close on the host).
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
PPORT=${PPORT:-18931}

die() { printf 'run.sh: error: %s\n' "$*" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || die "run as root (it creates a network namespace)"
for t in iperf3 python3 ip slirp4netns unshare nsenter; do
    command -v "$t" >/dev/null || die "$t not found (apt-get install iperf3 slirp4netns iproute2 python3)"
done
[[ -x $COVE ]] || (cd "$repo" && cargo build --release -p cove)
id "$BENCH_USER" >/dev/null 2>&1 || useradd -m -s /bin/sh "$BENCH_USER"
# The user's own HOME (cove keeps its store there; root's is not theirs)
# and no runtime dir of root's.
BENCH_HOME=$(getent passwd "$BENCH_USER" | cut -d: -f6)
as_user() {
    setpriv --reuid "$BENCH_USER" --regid "$BENCH_USER" --init-groups -- \
        env -u XDG_RUNTIME_DIR -u XDG_DATA_HOME HOME="$BENCH_HOME" "$@"
}
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
    s = socket.create_connection(("$IP", 7000)); s.recv(1); s.close(); n += 1
print(int(n / (time.time() - t0)))')
echo "\$up \$down \$conn"
EOF
)

declare -A res
res[host]=$(bash -c "$measure")
res[cove]=$(as_user "$COVE" run --rm --network bridge -- sh -c "$measure")
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

# Published-port request rate: a responder inside each network on port
# 8080, published on 127.0.0.1:$PPORT, and a client loop on the host.
responder='
import socket
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); l.bind(("0.0.0.0", 8080)); l.listen(1024)
while True:
    c, _ = l.accept()
    try:
        c.recv(4096); c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nok\n")
    except OSError:
        pass
    c.close()'
reqrate() {
    timeout 60 python3 -c '
import socket, sys, time
p = int(sys.argv[1])
for i in range(300):
    try:
        s = socket.create_connection(("127.0.0.1", p), timeout=1); s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        if s.recv(100): s.close(); break
    except OSError: pass
    time.sleep(0.1)
n, t0 = 0, time.time()
while time.time() - t0 < 3:
    s = socket.create_connection(("127.0.0.1", p)); s.sendall(b"GET / HTTP/1.0\r\n\r\n")
    while s.recv(4096): pass
    s.close(); n += 1
print(int(n / (time.time() - t0)))' "$PPORT" || echo -
}
declare -A pub
timeout 30 python3 -c "$(sed "s/\"0.0.0.0\", 8080/\"127.0.0.1\", $PPORT/" <<<"$responder")" & r=$!
pub[host]=$(reqrate); kill $r
# (setpriv, env, unshare and pasta exec or stay in front, so $! is theirs)
setpriv --reuid "$BENCH_USER" --regid "$BENCH_USER" --init-groups -- env -u XDG_RUNTIME_DIR -u XDG_DATA_HOME HOME="$BENCH_HOME" "$COVE" run --rm --network bridge -p "127.0.0.1:$PPORT:8080" -- timeout 30 python3 -c "$responder" & r=$!
pub[cove]=$(reqrate); kill $r; wait $r 2>/dev/null || true
setpriv --reuid "$BENCH_USER" --regid "$BENCH_USER" --init-groups -- unshare -rn timeout 30 python3 -c "$responder" & ns=$!
sleep 0.3
sock=$(mktemp -u /tmp/cvbench-slirp.XXXXXX)
setpriv --reuid "$BENCH_USER" --regid "$BENCH_USER" --init-groups -- slirp4netns --configure --mtu=65520 --disable-host-loopback --api-socket "$sock" "$ns" tap0 >/dev/null 2>&1 & slirp=$!
for _ in $(seq 50); do [[ -S $sock ]] && break; sleep 0.1; done
python3 -c "
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(b'{\"execute\": \"add_hostfwd\", \"arguments\": {\"proto\": \"tcp\", \"host_addr\": \"127.0.0.1\", \"host_port\": $PPORT, \"guest_port\": 8080}}')
print(s.recv(1000).decode(), file=sys.stderr)" "$sock" || true
pub[slirp4netns]=$(reqrate); kill $slirp $ns 2>/dev/null || true; rm -f "$sock"
if command -v pasta >/dev/null; then
    setpriv --reuid "$BENCH_USER" --regid "$BENCH_USER" --init-groups -- pasta --config-net -q -f -t "127.0.0.1/$PPORT:8080" -- timeout 30 python3 -c "$responder" & r=$!
    pub[pasta]=$(reqrate); kill $r 2>/dev/null || true; wait $r 2>/dev/null || true
fi

{
    echo "| network | container→host Gbit/s | host→container Gbit/s | TCP connects/s | published-port requests/s | vs slirp4netns (up/down/conn/pub) |"
    echo "|---|---|---|---|---|---|"
    read -r su sd sc <<<"${res[slirp4netns]}"
    sp=${pub[slirp4netns]:--}
    for row in host cove slirp4netns pasta; do
        [[ -n ${res[$row]:-} ]] || continue
        read -r u d c <<<"${res[$row]}"
        p=${pub[$row]:--}
        ratio=$(python3 -c "
f=lambda a,b: '%.2f' % (float(a)/float(b)) if b not in ('-','0','0.0') and a != '-' else '-'
print(f('$u','$su'), f('$d','$sd'), f('$c','$sc'), f('$p','$sp'), sep=' / ')")
        echo "| $row | $u | $d | $c | $p | $ratio |"
    done
} | tee "$out"
echo "(written to $out; $T s per iperf3 run, kernel $(uname -r), $(nproc) CPUs)"
