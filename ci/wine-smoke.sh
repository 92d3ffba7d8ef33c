#!/usr/bin/env bash
# wine-smoke.sh COVE_EXE — cove.exe under Wine, every call with a deadline:
# `info` (table and JSON) reports the Windows backend and, truthfully, that
# Wine has no AppContainers; `run` is therefore refused with exit 125 naming
# it (fail closed), also for `run -d` through the container's monitor, whose
# record ps/inspect/stop/wait/logs/rm then handle; `test` passes what Wine
# implements and skips the rest.
# Run by ci/cross.sh, which sets WINEPREFIX and friends.
set -uo pipefail
exe=$1
bad=0
check() { # NAME RESULT
    printf 'wine-smoke: %-28s %s\n' "$1" "$2" >&2
}
no() { printf 'wine-smoke: FAIL %s\n%s\n' "$1" "$2" >&2; bad=1; }
w() { timeout "$1" wine "$exe" "${@:2}" 2>&1 | tr -d '\r'; return "${PIPESTATUS[0]}"; }
# stdout only (JSON)
wj() { timeout "$1" wine "$exe" "${@:2}" 2>/dev/null | tr -d '\r'; return "${PIPESTATUS[0]}"; }

out=$(w 60 info); rc=$?
if [[ $rc -eq 0 && $out == *windows* && $out == *appcontainer* && $out == *job_objects* ]]; then
    check "info" "ok (exit 0, windows backend, appcontainer and job_objects listed)"
else no "cove.exe info (exit $rc)" "$out"; fi

out=$(wj 60 info --format json); rc=$?
verdict=$(python3 -c '
import json, sys
d = json.loads(sys.stdin.read())
f = {x["key"]: x["status"] for x in d["features"]}
print(d["backend"], f.get("appcontainer"), f.get("job_objects"), f.get("memory_limit"))' <<<"$out" 2>&1)
if [[ $rc -eq 0 && $verdict == "windows unavailable enforced unavailable" ]]; then
    check "info --format json" "ok ($verdict)"
else no "cove.exe info --format json (exit $rc): $verdict" "$out"; fi

out=$(w 60 run -- cmd.exe /c echo hi); rc=$?
if [[ $rc -eq 125 && $out == *"not supported by the windows backend"* && $out == *AppContainer* ]]; then
    check "run (refused)" "ok (exit 125: ${out%%$'\n'*})"
    printf '*** SKIP(cove.exe run): Wine has no AppContainers, so a real run cannot happen here; it is refused with 125 as designed ***\n' >&2
else no "cove.exe run should be refused with 125 under Wine (exit $rc)" "$out"; fi

out=$(w 60 run --memory 64m -- cmd.exe /c echo hi); rc=$?
if [[ $rc -eq 125 ]]; then check "run --memory (refused)" "ok (exit 125)"; else no "run --memory (exit $rc)" "$out"; fi

# The stored-container path (store, monitor, ready report, records): the
# monitor starts, leaves the console, and reports the refusal (Wine has no
# AppContainers); ps, inspect, logs, stop, wait and rm then work on the record.
name="cove-smoke-d-$$"
out=$(w 120 run -d --name "$name" -- cmd.exe /c echo hi); rc=$?
if [[ $rc -eq 125 && $out == *AppContainer* ]]; then check "run -d (refused by monitor)" "ok (exit 125)"
else no "cove.exe run -d should be refused with 125 by its monitor (exit $rc)" "$out"; fi
out=$(w 60 ps -a); rc=$?
if [[ $rc -eq 0 && $out == *"$name"* && $out == *"Exited (125)"* ]]; then check "ps -a" "ok (Exited (125))"
else no "cove.exe ps -a should list $name as Exited (125) (exit $rc)" "$out"; fi
out=$(wj 60 inspect --format '{{.State.ExitCode}} {{.State.Status}}' "$name"); rc=$?
if [[ $rc -eq 0 && $out == "125 exited" ]]; then check "inspect" "ok ($out)"
else no "cove.exe inspect $name (exit $rc)" "$out"; fi
for verb in stop wait logs; do
    out=$(w 60 "$verb" "$name"); rc=$?
    if [[ $rc -eq 0 ]]; then check "$verb" "ok (exit 0${out:+: ${out%%$'\n'*}})"; else no "cove.exe $verb $name (exit $rc)" "$out"; fi
done
out=$(w 60 rm "$name"); rc=$?
after=$(w 60 ps -a -q --filter "name=$name")
if [[ $rc -eq 0 && -z $after ]]; then check "rm" "ok (gone from ps -a)"
else no "cove.exe rm $name (exit $rc)" "$out / left: $after"; fi
out=$(w 60 kill "$name"); rc=$?
if [[ $rc -eq 1 && $out == *"No such container"* ]]; then check "kill (removed)" "ok (exit 1)"
else no "cove.exe kill of a removed container should be exit 1 (exit $rc)" "$out"; fi

out=$(wj 120 test --format json); rc=$?
verdict=$(python3 -c '
import json, sys
d = json.loads(sys.stdin.read())
print(" ".join(c["check"] + "=" + c["result"] for c in d["checks"]))' <<<"$out" 2>&1)
want="job_kill_on_close=pass cmdline_round_trip=pass job_limits_stored=skip appcontainer_sid=skip"
if [[ $rc -eq 0 && $verdict == "$want" ]]; then
    check "test" "ok ($verdict)"
else no "cove.exe test (exit $rc): $verdict" "$out"; fi
exit $bad
