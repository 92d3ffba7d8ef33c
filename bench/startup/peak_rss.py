#!/usr/bin/env python3
"""peak_rss.py [--runs N] -- CMD [ARGS...]: peak RSS of the top process, in KB.

Runs CMD N times (default 5) under ptrace and prints one JSON object:

  {"parent_vmhwm_kb": max over the runs of VmHWM of the top process itself,
                      read from /proc/PID/status at its exit (ptrace
                      PTRACE_EVENT_EXIT stop); children are not included,
   "runs": N, "exit_codes": [...]}

Why: a container runtime forks; the parent (the supervisor that lives as
long as the container) is what we want. wait4()'s ru_maxrss (GNU `time -f
%M`) is the max over the process and every descendant it reaped, and when
forked from Python it even includes the interpreter's own pages (maxrss
survives execve), so it is not used here; run.sh reports GNU time's figure
separately as a whole-tree upper bound.

VmHWM belongs to the memory image, so it restarts at execve: through a
wrapper such as `setpriv ... cove ...` the figure is cove's alone. If ptrace
is unavailable, parent_vmhwm_kb is null. Stdlib only (ctypes).
"""

import ctypes
import json
import os
import signal
import sys

PTRACE_TRACEME = 0
PTRACE_CONT = 7
PTRACE_SETOPTIONS = 0x4200
PTRACE_O_TRACEEXEC = 0x10
PTRACE_O_TRACEEXIT = 0x40
PTRACE_EVENT_EXEC = 4
PTRACE_EVENT_EXIT = 6

_libc = ctypes.CDLL(None, use_errno=True)
_libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
_libc.ptrace.restype = ctypes.c_long


def ptrace(req: int, pid: int, data: int = 0) -> None:
    if _libc.ptrace(req, pid, None, ctypes.c_void_p(data)) == -1:
        err = ctypes.get_errno()
        raise OSError(err, f"ptrace({req}): {os.strerror(err)}")


def vmhwm_kb(pid: int):
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def one_run(argv, use_ptrace: bool):
    """Runs argv once; returns (VmHWM of the top process at exit or None, exit code)."""
    pid = os.fork()
    if pid == 0:
        try:
            if use_ptrace:
                try:
                    ptrace(PTRACE_TRACEME, 0)
                except OSError:
                    pass  # untraced: the parent then sees no stops at all
            os.execvp(argv[0], argv)
        except OSError as e:
            print(f"peak_rss: cannot run {argv[0]}: {e}", file=sys.stderr)
        os._exit(127)

    hwm = None
    first = use_ptrace
    while True:
        _, status = os.waitpid(pid, 0)
        if os.WIFEXITED(status) or os.WIFSIGNALED(status):
            return hwm, os.waitstatus_to_exitcode(status)
        if not os.WIFSTOPPED(status):
            continue
        sig = os.WSTOPSIG(status)
        event = (status >> 16) & 0xFFFF
        deliver = 0
        if first:
            # The stop after the initial execve of a PTRACE_TRACEME child.
            first = False
            try:
                ptrace(PTRACE_SETOPTIONS, pid, PTRACE_O_TRACEEXIT | PTRACE_O_TRACEEXEC)
            except OSError:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                raise
        elif sig == signal.SIGTRAP and event == PTRACE_EVENT_EXIT:
            hwm = vmhwm_kb(pid)
        elif sig == signal.SIGTRAP and event == PTRACE_EVENT_EXEC:
            pass
        else:
            deliver = sig  # an ordinary signal: pass it on
        ptrace(PTRACE_CONT, pid, deliver)


def main() -> int:
    args = sys.argv[1:]
    runs = 5
    if len(args) >= 2 and args[0] == "--runs":
        runs = int(args[1])
        args = args[2:]
    if args and args[0] == "--":
        args = args[1:]
    if not args or runs < 1:
        print("usage: peak_rss.py [--runs N] -- CMD [ARGS...]", file=sys.stderr)
        return 2

    use_ptrace = True
    hwms, codes = [], []
    for _ in range(runs):
        try:
            hwm, code = one_run(args, use_ptrace)
        except OSError as e:
            print(f"peak_rss: ptrace unavailable ({e}); VmHWM not measured", file=sys.stderr)
            use_ptrace = False
            hwm, code = one_run(args, use_ptrace)
        if hwm is not None:
            hwms.append(hwm)
        codes.append(code)

    print(json.dumps({
        "parent_vmhwm_kb": max(hwms) if hwms else None,
        "runs": runs,
        "exit_codes": codes,
    }))
    return 0 if all(c == 0 for c in codes) else 1


if __name__ == "__main__":
    sys.exit(main())
