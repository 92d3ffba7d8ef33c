#!/usr/bin/env bash
# bench/startup/run.sh: container start-up latency, `cove run` against bwrap,
# runc, crun, `unshare` and a bare exec, all on one busybox rootfs and all in
# ONE hyperfine invocation so the figures sit side by side. Rows run as root
# and rootless (through setpriv as $BENCH_USER). Each row is probed first; a
# row that does not work here is skipped with a loud message, not fatal.
# Also measures the peak RSS of the cove process. See README.md.
#
# Environment:
#   RUNS=200 WARMUP=20      hyperfine runs / warm-up runs per command
#   COVE=path               cove binary (default target/release/cove, built
#                           with `cargo build --release -p cove` if missing)
#   ROOTFS=dir              use this rootfs instead of building one
#   BENCH_USER=covetest     unprivileged user for rootless rows (created with
#                           `useradd -m` if missing; only when run as root)
#   CRUN_HYBRID_WORKAROUND=1  if crun refuses the hybrid cgroup host, time it
#                           in a private mount namespace with a tmpfs over
#                           /sys/fs/cgroup/unified (plus a row for that
#                           wrapper alone); 0 = skip crun instead
#   RESULTS=dir             output directory (default bench/startup/results)
#   PROBE_TIMEOUT=30        seconds allowed for each probe run of a row
#   KEEP_WORK=1             keep the temporary work directory
set -euo pipefail

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
repo=$(cd -- "$here/../.." && pwd -P)

RUNS=${RUNS:-200}
WARMUP=${WARMUP:-20}
BENCH_USER=${BENCH_USER:-covetest}
CRUN_HYBRID_WORKAROUND=${CRUN_HYBRID_WORKAROUND:-1}
RESULTS=${RESULTS:-$here/results}

say() { printf '==> %s\n' "$*" >&2; }
loud() {
    printf '\n' >&2
    printf '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n' >&2
    printf '!!! %s\n' "$@" >&2
    printf '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\n' >&2
}
die() { printf 'run.sh: error: %s\n' "$*" >&2; exit 1; }

command -v hyperfine >/dev/null || die "hyperfine not found (apt-get install hyperfine)"
command -v python3 >/dev/null || die "python3 not found"
[[ $RUNS =~ ^[0-9]+$ && $RUNS -ge 2 ]] || die "RUNS must be an integer >= 2"
[[ $WARMUP =~ ^[0-9]+$ ]] || die "WARMUP must be an integer"

mkdir -p -- "$RESULTS"
RESULTS=$(cd -- "$RESULTS" && pwd -P)
rows=$RESULTS/rows.tsv         # label, group, kind, command (one per hyperfine command)
skipped=$RESULTS/skipped.tsv   # group, what, why
rss=$RESULTS/rss.tsv           # group, cove parent VmHWM KB, whole-tree maxrss KB
envf=$RESULTS/env.txt
: >"$rows"; : >"$skipped"; : >"$rss"; : >"$envf"
rm -f -- "$RESULTS/startup.json" "$RESULTS/startup.md"

# Relative paths given by the user are relative to where we were started.
if [[ -n ${COVE:-} && $COVE != /* ]]; then COVE=$PWD/$COVE; fi
if [[ -n ${ROOTFS:-} && $ROOTFS != /* ]]; then ROOTFS=$PWD/$ROOTFS; fi

# --- work directory (world-traversable so the rootless user can use it) ------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/cove-bench.XXXXXX")
chmod 0755 "$WORK"
ID=cove-bench-$$
RUNC=$(command -v runc || true)
CRUN=$(command -v crun || true)
UNSHARE=$(command -v unshare) || die "unshare not found (util-linux)"
MOUNT=$(command -v mount) || die "mount not found (mount)"
cleanup() {
    local st
    for st in "$WORK"/*/runc-state; do
        if [[ -d $st && -n $RUNC ]]; then
            "$RUNC" --root "$st" delete -f "$ID-runc" >/dev/null 2>&1 || true
        fi
    done
    for st in "$WORK"/*/crun-state; do
        if [[ -d $st && -n $CRUN ]]; then
            "$CRUN" --root "$st" delete -f "$ID-crun" >/dev/null 2>&1 || true
        fi
    done
    if [[ ${KEEP_WORK:-0} == 1 ]]; then
        say "work directory kept: $WORK"
    else
        rm -rf -- "$WORK"
    fi
}
trap cleanup EXIT
cd "$WORK"

# --- groups: root, and rootless through setpriv -------------------------------
groups=()
declare -A gwrap=() glabel=()
if [[ $EUID -eq 0 ]]; then
    groups+=(root)
    gwrap[root]=""
    glabel[root]="root"
    if ! id -u "$BENCH_USER" >/dev/null 2>&1; then
        say "creating user $BENCH_USER for the rootless rows"
        useradd -m "$BENCH_USER" || loud "could not create user $BENCH_USER"
    fi
    if id -u "$BENCH_USER" >/dev/null 2>&1; then
        SETPRIV=$(command -v setpriv || true)
        if [[ -n $SETPRIV ]]; then
            groups+=(rootless)
            gwrap[rootless]="$SETPRIV --reuid $BENCH_USER --regid $BENCH_USER --init-groups --reset-env"
            glabel[rootless]="rootless (setpriv->$BENCH_USER)"
        else
            loud "setpriv not found: no rootless rows (apt-get install util-linux)"
        fi
    else
        loud "no user $BENCH_USER: no rootless rows"
    fi
else
    loud "not running as root: only rootless rows, as $(id -un), with no wrapper"
    groups+=(rootless)
    gwrap[rootless]=""
    glabel[rootless]="rootless ($(id -un), direct)"
fi

# as_group GROUP CMD...: run CMD the way that group's rows run.
as_group() {
    local g=$1; shift
    local -a w=()
    read -r -a w <<<"${gwrap[$g]}"
    "${w[@]}" "$@"
}

# --- rootfs ------------------------------------------------------------------
if [[ -n ${ROOTFS:-} ]]; then
    R=$(cd -- "$ROOTFS" && pwd -P)
else
    R=$WORK/rootfs
    say "building busybox rootfs at $R"
    "$repo/scripts/mkrootfs-busybox" "$R"
fi
[[ -x $R/bin/true ]] || die "$R/bin/true missing: not a busybox rootfs?"

# --- cove binary -------------------------------------------------------------
COVE_OK=1
if [[ -z ${COVE:-} ]]; then
    COVE=$repo/target/release/cove
    if [[ ! -x $COVE ]]; then
        say "building cove: cargo build --release -p cove"
        if ! (cd -- "$repo" && cargo build --release -p cove); then
            loud "cargo build --release -p cove FAILED: no cove rows"
            COVE_OK=0
        fi
    fi
fi
if [[ $COVE_OK == 1 && ! -x $COVE ]]; then
    loud "cove binary $COVE not found: no cove rows"
    COVE_OK=0
fi
if [[ $COVE_OK == 1 ]]; then
    # The rootless user must be able to reach the binary; if not, time a copy
    # (for every group, so root and rootless run the same file).
    for g in "${groups[@]}"; do
        if [[ $COVE =~ [[:space:]] ]] || ! as_group "$g" test -x "$COVE"; then
            install -m 0755 -- "$COVE" "$WORK/cove"
            say "using a copy of $COVE at $WORK/cove (path has spaces or not reachable by group $g)"
            COVE=$WORK/cove
            break
        fi
    done
fi

# --- row bookkeeping ---------------------------------------------------------
hf_args=()
row_ok_root_cove=0
row_ok_rootless_cove=0

skip_row() { # group what why...
    local g=$1 what=$2; shift 2
    loud "SKIPPING ${glabel[$g]}: $what" "$@"
    local why=$*
    printf '%s\t%s\t%s\n' "${glabel[$g]}" "$what" "${why//$'\t'/ }" >>"$skipped"
}

# probe CMDSTRING LOG: run the command as hyperfine -N would (twice, so a
# fixed container id must be reusable; PROBE_TIMEOUT seconds each, so a hung
# command cannot hang the bench), output to LOG.
probe() {
    local cmd=$1 log=$2 t=${PROBE_TIMEOUT:-30}
    : >"$log"
    timeout "$t" bash -c "exec $cmd" >>"$log" 2>&1 </dev/null \
        && timeout "$t" bash -c "exec $cmd" >>"$log" 2>&1 </dev/null
}

# add_row GROUP KIND LABEL CMDSTRING: probe, then queue for hyperfine.
# CMDSTRING is parsed by hyperfine -N with shell-like quoting, no shell.
add_row() {
    local g=$1 kind=$2 label=$3 body=$4
    local cmd=$body
    [[ -n ${gwrap[$g]} ]] && cmd="${gwrap[$g]} $body"
    local name="${glabel[$g]}: $label"
    local log=$WORK/probe.$g.$kind.log
    if probe "$cmd" "$log"; then
        say "ok    $name"
        hf_args+=(-n "$name" "$cmd")
        printf '%s\t%s\t%s\t%s\n' "$name" "$g" "$kind" "$cmd" >>"$rows"
        return 0
    fi
    skip_row "$g" "$label" "probe failed: $cmd" "$(tail -n 5 -- "$log" | tr '\n' ' ')"
    return 1
}

# make_bundle GROUP DIR: OCI bundle whose rootfs is $R (spec generated by runc,
# or crun if runc is missing; rootless spec generated as the rootless user).
make_bundle() {
    local g=$1 dir=$2 gen=${RUNC:-$CRUN}
    local -a rl=()
    [[ $g == rootless ]] && rl=(--rootless)
    mkdir -p -- "$dir"
    if [[ -n ${gwrap[$g]} ]]; then
        chown "$BENCH_USER:" "$dir"
    fi
    ( cd -- "$dir" && as_group "$g" "$gen" spec "${rl[@]}" ) || return 1
    python3 "$here/ocispec.py" "$dir/config.json" "$R"
    chmod a+r "$dir/config.json"
}

hybrid_hint="cgroups in hybrid mode not supported"

# --- rows --------------------------------------------------------------------
have_secopt=0
if [[ $COVE_OK == 1 ]] && "$COVE" run --help 2>&1 | grep -q -- '--security-opt'; then
    have_secopt=1
elif [[ $COVE_OK == 1 ]]; then
    say "cove run --help does not mention --security-opt: no seccomp=unconfined row"
fi

for g in "${groups[@]}"; do
    wrap=${gwrap[$g]}
    if [[ -n $wrap ]]; then
        add_row "$g" setpriv "setpriv wrapper alone (bare exec of R/bin/true)" "$R/bin/true" || true
    else
        add_row "$g" bare "bare exec R/bin/true" "$R/bin/true" || true
    fi

    if [[ $COVE_OK == 1 ]]; then
        if add_row "$g" cove "cove run --rootfs R -- /bin/true" \
            "$COVE run --rootfs $R -- /bin/true"; then
            [[ $g == root ]] && row_ok_root_cove=1
            [[ $g == rootless ]] && row_ok_rootless_cove=1
        fi
        if [[ $have_secopt == 1 ]]; then
            add_row "$g" cove-unconfined "cove run --rootfs R --security-opt seccomp=unconfined -- /bin/true" \
                "$COVE run --rootfs $R --security-opt seccomp=unconfined -- /bin/true" || true
        fi
    else
        skip_row "$g" "cove run" "no working cove binary"
    fi

    if BWRAP=$(command -v bwrap); then
        add_row "$g" bwrap "bwrap --unshare-all --bind R / --proc /proc --dev /dev" \
            "$BWRAP --unshare-all --bind $R / --proc /proc --dev /dev /bin/true" || true
    else
        skip_row "$g" bwrap "bwrap not installed (apt-get install bubblewrap)"
    fi

    if [[ -n $RUNC ]]; then
        b=$WORK/$g/bundle
        if make_bundle "$g" "$b"; then
            st=$WORK/$g/runc-state
            mkdir -p -- "$st"
            [[ -n $wrap ]] && chown "$BENCH_USER:" "$st"
            add_row "$g" runc "runc run (no cgroup config)" \
                "$RUNC --root $st run --bundle $b $ID-runc" || true
        else
            skip_row "$g" runc "could not generate an OCI bundle"
        fi
    else
        skip_row "$g" runc "runc not installed"
    fi

    if [[ -n $CRUN ]]; then
        b=$WORK/$g/bundle
        [[ -f $b/config.json ]] || make_bundle "$g" "$b" || true
        st=$WORK/$g/crun-state
        mkdir -p -- "$st"
        [[ -n $wrap ]] && chown "$BENCH_USER:" "$st"
        crun_cmd="$CRUN --root $st run --bundle $b $ID-crun"
        if [[ ! -f $b/config.json ]]; then
            skip_row "$g" crun "could not generate an OCI bundle"
        elif probe "${wrap:+$wrap }$crun_cmd" "$WORK/probe.$g.crun-plain.log"; then
            add_row "$g" crun "crun run (no cgroup config)" "$crun_cmd" || true
        elif grep -q "$hybrid_hint" "$WORK/probe.$g.crun-plain.log" \
            && [[ $CRUN_HYBRID_WORKAROUND == 1 ]]; then
            loud "crun refuses this hybrid cgroup host ($hybrid_hint)." \
                "Timing it inside a private mount namespace with a tmpfs over /sys/fs/cgroup/unified;" \
                "the cost of that wrapper alone is its own row. CRUN_HYBRID_WORKAROUND=0 skips crun."
            if [[ $g == root ]]; then
                pre="--mount"
            else
                pre="--user --map-current-user --keep-caps --mount"
            fi
            hide="$MOUNT -t tmpfs -o size=4k cove-bench /sys/fs/cgroup/unified"
            if add_row "$g" crun "crun run, wrapped: unshare $pre + sh + tmpfs on cgroup/unified" \
                "$UNSHARE $pre /bin/sh -c '$hide && exec $crun_cmd'"; then
                add_row "$g" crun-wrapper "crun's wrapper alone: unshare $pre + sh + tmpfs, exec R/bin/true" \
                    "$UNSHARE $pre /bin/sh -c '$hide && exec $R/bin/true'" || true
            fi
        else
            skip_row "$g" crun "probe failed: ${wrap:+$wrap }$crun_cmd" \
                "$(tail -n 5 -- "$WORK/probe.$g.crun-plain.log" | tr '\n' ' ')"
        fi
    else
        skip_row "$g" crun "crun not installed"
    fi

    add_row "$g" unshare "unshare -Urpmfiun R/bin/true" \
        "$UNSHARE -Urpmfiun $R/bin/true" || true
done

[[ ${#hf_args[@]} -gt 0 ]] || die "no row could be probed successfully"

# --- environment notes ---------------------------------------------------------
{
    printf 'date: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    printf 'kernel: %s\n' "$(uname -r)"
    printf 'cpus: %s\n' "$(nproc)"
    printf 'cgroups: %s\n' "$(if [[ -d /sys/fs/cgroup/unified ]]; then echo hybrid; elif [[ -f /sys/fs/cgroup/cgroup.controllers ]]; then echo v2; else echo v1; fi)"
    printf 'runs: %s (warmup %s), hyperfine -N %s\n' "$RUNS" "$WARMUP" "$(hyperfine --version | awk '{print $2}')"
    printf 'rootfs: %s (busybox %s)\n' "$R" "$("$R/bin/busybox" 2>&1 | head -n 1 | awk '{print $2}')"
    [[ $COVE_OK == 1 ]] && printf 'cove: %s\n' "$COVE"
    command -v bwrap >/dev/null && printf 'bwrap: %s\n' "$(bwrap --version)"
    [[ -n $RUNC ]] && printf 'runc: %s\n' "$("$RUNC" --version | head -n 1)"
    [[ -n $CRUN ]] && printf 'crun: %s\n' "$("$CRUN" --version | head -n 1)"
    true
} >"$envf"

# --- the benchmark: ONE hyperfine invocation -----------------------------------
say "hyperfine: $(( ${#hf_args[@]} / 3 )) commands, $RUNS runs each, $WARMUP warm-up"
if ! hyperfine -N --warmup "$WARMUP" --runs "$RUNS" --time-unit millisecond \
    --export-json "$RESULTS/startup.json" "${hf_args[@]}"; then
    loud "hyperfine FAILED: a command that passed its probe failed during the runs" \
        "(flaky runtime?). Re-run, or set RUNS lower to find it."
    exit 1
fi

# --- peak RSS of cove ----------------------------------------------------------
for g in "${groups[@]}"; do
    ok=$row_ok_root_cove
    [[ $g == rootless ]] && ok=$row_ok_rootless_cove
    [[ $ok == 1 ]] || continue
    read -r -a wa <<<"${gwrap[$g]}"
    cmd=("${wa[@]}" "$COVE" run --rootfs "$R" -- /bin/true)
    parent=$(python3 "$here/peak_rss.py" --runs 5 -- "${cmd[@]}" \
        | python3 -c 'import json,sys; v=json.load(sys.stdin)["parent_vmhwm_kb"]; print("" if v is None else v)') \
        || parent=""
    tree=""
    if [[ -x /usr/bin/time ]]; then
        for _ in 1 2 3 4 5; do
            if /usr/bin/time -f %M -o "$WORK/time.out" "${cmd[@]}" >/dev/null 2>&1; then
                kb=$(tail -n 1 "$WORK/time.out")
                [[ -z $tree || $kb -gt $tree ]] && tree=$kb
            fi
        done
    else
        say "/usr/bin/time missing (apt-get install time): no whole-tree max RSS"
    fi
    printf '%s\t%s\t%s\n' "${glabel[$g]}" "$parent" "$tree" >>"$rss"
done

# --- report --------------------------------------------------------------------
python3 "$here/report.py" "$RESULTS" | tee "$RESULTS/startup.md"
say "results: $RESULTS/startup.json, $RESULTS/startup.md"
