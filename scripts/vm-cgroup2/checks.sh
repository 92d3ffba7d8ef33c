# cove's limits on pure cgroup v2, run by the VM's init as root. Each
# check prints `vm-cgroup2: ok NAME` or `vm-cgroup2: FAIL NAME: why`; the
# last line is `vm-cgroup2: N passed, M failed`.
CG=/sys/fs/cgroup
CTRL="cpu cpuset memory pids io"
PASS=0
FAIL=0
up() { cut -d' ' -f1 /proc/uptime; }
ok() { PASS=$((PASS + 1)); echo "vm-cgroup2: ok   $1 ($(up) s)"; }
bad() { FAIL=$((FAIL + 1)); echo "vm-cgroup2: FAIL $1: $2"; echo "  stderr: $(head -c 400 /tmp/err)"; }
check() { if [ "$2" = 0 ]; then ok "$1"; else bad "$1" "$3"; fi; }

# The test users' own homes: cove keeps their stores there (a foreground
# run is a stored container), and init's HOME is root's.
mkdir -p /home/u /home/v && chown 1000:1000 /home/u && chown 1001:1001 /home/v

# run CMD...: runs with a deadline; RC, /tmp/out, /tmp/err.
run() { timeout 60 "$@" >/tmp/out 2>/tmp/err; RC=$?; }

# delegated: a fresh scope under uid 1000's user@ service, owned by it,
# holding only the command (as `systemd-run --user --scope` makes one).
N=0
scope() {
    N=$((N + 1))
    SCOPE=$SVC/run-$N.scope
    mkdir "$SCOPE"
    chown 1000:1000 "$SCOPE" "$SCOPE/cgroup.procs" "$SCOPE/cgroup.subtree_control" "$SCOPE/cgroup.threads"
}
as_user() { scope; run sh -c 'echo $$ > "$0/cgroup.procs" && HOME=/home/u exec /bin/setpriv.real --reuid 1000 --regid 1000 --clear-groups "$@"' "$SCOPE" "$@"; }
as_undelegated() { run env HOME=/home/v /bin/setpriv.real --reuid 1001 --regid 1001 --clear-groups "$@"; }

# snapshot WHO FLAGS...: runs `cove run FLAGS -- sleep 2` (WHO: root or
# user) and, while it runs, writes FILE=VALUE lines of its cgroup to
# /tmp/snap; RC is cove's exit code.
FILES="cpu.max cpu.weight cpuset.cpus cpuset.mems memory.max memory.swap.max memory.low pids.max"
snapshot() {
    who=$1
    shift
    if [ "$who" = user ]; then
        scope
        base=$SCOPE
        timeout 30 sh -c 'echo $$ > "$0/cgroup.procs" && HOME=/home/u exec /bin/setpriv.real --reuid 1000 --regid 1000 \
            --clear-groups "$@"' "$SCOPE" cove run "$@" -- sleep 2 >/tmp/out 2>/tmp/err &
    else
        base=$CG
        timeout 30 cove run "$@" -- sleep 2 >/tmp/out 2>/tmp/err &
    fi
    pid=$!
    : >/tmp/snap
    while kill -0 $pid 2>/dev/null; do
        dir=$(ls -d "$base"/cove/*/ 2>/dev/null | head -1)
        if [ -n "$dir" ] && grep -q . "$dir/cgroup.procs" 2>/dev/null; then
            for f in $FILES; do echo "$f=$(cat "$dir/$f" 2>/dev/null)"; done >/tmp/snap
            break
        fi
    done
    wait $pid
    RC=$?
}

# has NAME FILE=VALUE: the snapshot holds that line.
has() {
    grep -qx "$2" /tmp/snap
    check "$1" $? "$2 while it ran (exit $RC; got $(tr '\n' ' ' </tmp/snap))"
}

# no container cgroups left under BASE/cove.
no_leftovers() {
    left=$(find "$2/cove" -mindepth 1 -type d 2>/dev/null)
    [ -z "$left" ]
    check "$1" $? "left: $left"
}

echo "vm-cgroup2: kernel $(uname -r) up $(cut -d' ' -f1 /proc/uptime) s: $(cat /proc/cmdline)"
grep -q " $CG cgroup2 " /proc/mounts && ! grep -q ' cgroup ' /proc/mounts
check "pure v2 host" $? "cgroup2 alone at $CG"

# systemd-style delegation: controllers enabled down to user@1000.service,
# whose cgroup (and its files) belongs to the user.
SVC=$CG/user.slice/user-1000.slice/user@1000.service
mkdir -p "$SVC"
for d in $CG $CG/user.slice $CG/user.slice/user-1000.slice $SVC; do
    for c in $CTRL; do echo "+$c" >"$d/cgroup.subtree_control" 2>/dev/null; done
done
chown 1000:1000 "$SVC" "$SVC/cgroup.procs" "$SVC/cgroup.subtree_control" "$SVC/cgroup.threads"

## root
run cove run --memory 32m -- tail /dev/zero
[ $RC = 137 ] && grep -q OOM-killed /tmp/err
check "root: --memory OOM kill exits 137 and says so" $? "exit $RC"
run cove run --pids-limit 10 -- sh -c 'for i in $(seq 30); do sleep 1 & done; wait'
[ $RC != 0 ] && grep -qi fork /tmp/err
check "root: --pids-limit stops forks" $? "exit $RC"
snapshot root --cpus 0.5 --cpu-shares 512 --cpuset-cpus 1 --cpuset-mems 0 --memory 32m --memory-swap 64m \
    --memory-reservation 16m --pids-limit 10
has "root: --cpus 0.5 is cpu.max 50000 100000" "cpu.max=50000 100000"
has "root: --cpu-shares 512 is cpu.weight 20" "cpu.weight=20"
has "root: --cpuset-cpus 1, --cpuset-mems 0" "cpuset.cpus=1"
has "root: --cpuset-mems 0" "cpuset.mems=0"
has "root: --memory 32m is memory.max" "memory.max=33554432"
has "root: --memory-swap 64m is memory.swap.max 32m" "memory.swap.max=33554432"
has "root: --memory-reservation 16m is memory.low" "memory.low=16777216"
has "root: --pids-limit 10 is pids.max" "pids.max=10"
run cove run --cpuset-cpus 7 -- true
[ $RC = 125 ] && grep -q 'not available' /tmp/err
check "root: CPUs the VM lacks are refused" $? "exit $RC"
run cove info
grep -q -- '--memory: yes (cgroup v2)' /tmp/out && grep -q -- '--cpuset-cpus: yes (cgroup v2)' /tmp/out
check "root: cove info says the limits are enforced through v2" $? "$(grep limits /tmp/out)"
run sh -c 'cove run -d --name busy --cpus 0.5 --memory 64m -- sh -c "while :; do :; done" &&
    cove stats --no-stream --format json busy; rc=$?; cove rm -f busy >/dev/null; exit $rc'
[ $RC = 0 ] && grep -q '"MemUsage":"[0-9.]*[KM]iB / 64MiB"' /tmp/out && ! grep -q '"CPUPerc":"0.00%"' /tmp/out
check "root: run -d with limits, cove stats reads v2 counters" $? "exit $RC, out $(cat /tmp/out)"
no_leftovers "root: no container cgroups left" $CG

## undelegated user
as_undelegated cove run --memory 32m -- true
[ $RC = 125 ] && grep -q 'cgroup delegation' /tmp/err
check "undelegated user: --memory refused with 125" $? "exit $RC"
as_undelegated cove run --ulimit nofile=64:64 -- sh -c 'ulimit -n'
[ $RC = 0 ] && [ "$(cat /tmp/out)" = 64 ]
check "undelegated user: lowering --ulimit works" $? "exit $RC, out $(cat /tmp/out)"

## delegated user (rootless)
as_user cove run -- true
check "delegated user: a plain rootless run works" $RC "exit $RC"
as_user cove run --memory 32m -- tail /dev/zero
[ $RC = 137 ] && grep -q OOM-killed /tmp/err
check "delegated user: --memory OOM kill exits 137" $? "exit $RC"
[ -d "$SCOPE/cove-leaf" ] && ! grep -q . "$SCOPE/cgroup.procs"
check "delegated user: cove moved itself into cove-leaf" $? "$(ls $SCOPE)"
no_leftovers "delegated user: no container cgroups left" "$SCOPE"
as_user cove run --pids-limit 10 -- sh -c 'for i in $(seq 30); do sleep 1 & done; wait'
[ $RC != 0 ] && grep -qi fork /tmp/err
check "delegated user: --pids-limit stops forks" $? "exit $RC"
snapshot user --cpus 0.5 --cpu-shares 512 --cpuset-cpus 0 --memory 32m --memory-swap -1 --memory-reservation 16m \
    --pids-limit 10
has "delegated user: --cpus 0.5 is cpu.max 50000 100000" "cpu.max=50000 100000"
has "delegated user: --cpu-shares 512 is cpu.weight 20" "cpu.weight=20"
has "delegated user: --cpuset-cpus 0" "cpuset.cpus=0"
has "delegated user: --memory-swap -1 is memory.swap.max max" "memory.swap.max=max"
has "delegated user: --memory-reservation is memory.low" "memory.low=16777216"
has "delegated user: --pids-limit is pids.max" "pids.max=10"
# a delegated cgroup shared with another process (a shell that did not
# exec cove): both move into cove-leaf and the limit works
scope
run sh -c 'echo $$ > "$0/cgroup.procs" && HOME=/home/u exec /bin/setpriv.real --reuid 1000 --regid 1000 --clear-groups \
    sh -c "cove run --memory 32m -- tail /dev/zero; exit \$?"' "$SCOPE"
[ $RC = 137 ] && ! grep -q . "$SCOPE/cgroup.procs"
check "delegated user: a shared delegated cgroup moves into cove-leaf" $? "exit $RC"
# run -d: the CLI and the monitor share the scope; stats read v2 counters
scope
run sh -c 'echo $$ > "$0/cgroup.procs" && HOME=/home/u exec /bin/setpriv.real --reuid 1000 --regid 1000 --clear-groups \
    sh -c "cove run -d --name busy --cpus 0.5 --memory 64m -- sh -c \"while :; do :; done\" &&
           cove stats --no-stream --format json busy; rc=\$?; cove rm -f busy >/dev/null; exit \$rc"' "$SCOPE"
[ $RC = 0 ] && grep -q '"MemUsage":"[0-9.]*[KM]iB / 64MiB"' /tmp/out && ! grep -q '"CPUPerc":"0.00%"' /tmp/out
check "delegated user: run -d with limits, cove stats reads v2 counters" $? "exit $RC, out $(cat /tmp/out)"
as_user cove info
grep -q -- '--memory: yes (cgroup v2)' /tmp/out
check "delegated user: cove info says --memory is enforced (v2)" $? "$(grep limits /tmp/out)"
leftover=$(find "$SVC" -path '*/cove/*' -type d)
[ -z "$leftover" ]
check "delegated user: no container cgroups left in any scope" $? "left: $leftover"

## OCI runtime mode (root): pause/resume through cgroup.freeze, update
# writes v2 files; a container created without limits gets a cgroup then.
B=/tmp/bundle
mkdir -p $B/rootfs/bin $B/rootfs/proc $B/rootfs/dev $B/rootfs/tmp
cp /bin/busybox $B/rootfs/bin/busybox
for t in sh sleep; do ln -sf busybox $B/rootfs/bin/$t; done
cat >$B/config.json <<'JSON'
{"ociVersion": "1.0.2", "root": {"path": "rootfs"}, "hostname": "p",
 "process": {"args": ["sh", "-c", "while :; do sleep 1; done"], "cwd": "/", "env": ["PATH=/bin"],
             "user": {"uid": 0, "gid": 0}},
 "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"}],
 "linux": {"namespaces": [{"type": "pid"}, {"type": "mount"}, {"type": "ipc"}, {"type": "uts"}]}}
JSON
OCI="cove oci --root /tmp/oci-state"
run $OCI create --bundle $B p1 </dev/null
run $OCI start p1
check "oci: create and start a bundle" $RC "exit $RC"
run $OCI pause p1
$OCI state p1 >/tmp/state 2>&1
[ $RC = 0 ] && grep -q '"paused"' /tmp/state && [ "$(cat $CG/cove/oci-p1/cgroup.freeze 2>/dev/null)" = 1 ] &&
    grep -qx 'frozen 1' $CG/cove/oci-p1/cgroup.events
check "oci: pause freezes through cgroup.freeze, state says paused" $? "exit $RC, $(cat /tmp/state)"
run $OCI resume p1
$OCI state p1 >/tmp/state 2>&1
[ $RC = 0 ] && grep -q '"running"' /tmp/state && grep -qx 'frozen 0' $CG/cove/oci-p1/cgroup.events
check "oci: resume thaws" $? "exit $RC, $(cat /tmp/state)"
run $OCI update --memory 33554432 --pids-limit 20 p1
[ $RC = 0 ] && [ "$(cat $CG/cove/oci-p1/memory.max)" = 33554432 ] && [ "$(cat $CG/cove/oci-p1/pids.max)" = 20 ]
check "oci: update writes memory.max and pids.max" $? "exit $RC"
run $OCI delete --force p1
[ $RC = 0 ] && [ ! -d $CG/cove/oci-p1 ]
check "oci: delete --force removes the container and its cgroup" $? "exit $RC"

echo "vm-cgroup2: checks done at $(cut -d' ' -f1 /proc/uptime) s"
echo "vm-cgroup2: $PASS passed, $FAIL failed"
