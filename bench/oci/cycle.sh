#!/bin/sh
# One OCI lifecycle: create, start (the process is /bin/true), delete -f.
# Usage: cycle.sh STATE_ROOT BUNDLE RUNTIME [ARGS...]   (run by run.sh)
set -e
root=$1 bundle=$2
shift 2
if [ -n "${HYBRID_TMPFS:-}" ]; then
    # crun refuses hybrid cgroup hosts while cgroup2 holds a controller; in
    # this private mount namespace a tmpfs hides it (for every row alike).
    mount -t tmpfs none /sys/fs/cgroup/unified
fi
"$@" --root "$root" create --bundle "$bundle" bench
"$@" --root "$root" start bench
"$@" --root "$root" delete --force bench
