#!/usr/bin/env python3
"""report.py RESULTS_DIR: markdown report for bench/startup/run.sh. Stdlib only.

Reads from RESULTS_DIR:
  startup.json  hyperfine --export-json output (command = the row's label)
  rows.tsv      label, group, kind, exact command line  (one per command)
  skipped.tsv   group, what, why                       (rows not measured)
  rss.tsv       group, cove parent VmHWM KB, whole-tree max RSS KB
  env.txt       free-form "key: value" lines about the machine
Prints the report on stdout.

Ratios are median / median of the `cove run` row *of the same group* (root
rows against root cove, rootless rows against rootless cove), so cove is
1.00x and a row at 3.00x takes three times as long as cove.
"""

import json
import os
import sys

RSS_GOAL_KB = 4 * 1024
RUNC_GOAL = 5.0


def read_tsv(path, ncols):
    out = []
    if not os.path.exists(path):
        return out
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            cols = line.split("\t")
            cols += [""] * (ncols - len(cols))
            out.append(cols[:ncols])
    return out


def fmt_ms(seconds):
    return f"{seconds * 1000:.2f}"


def md_escape(text):
    return text.replace("|", "\\|")


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: report.py RESULTS_DIR", file=sys.stderr)
        return 2
    res = sys.argv[1]
    with open(os.path.join(res, "startup.json"), encoding="utf-8") as f:
        results = json.load(f)["results"]
    rows = read_tsv(os.path.join(res, "rows.tsv"), 4)
    skipped = read_tsv(os.path.join(res, "skipped.tsv"), 3)
    rss = read_tsv(os.path.join(res, "rss.tsv"), 3)

    meta = {label: (group, kind, cmd) for label, group, kind, cmd in rows}
    by_label = {r["command"]: r for r in results}

    # Median of cove (and of the other reference rows) per group.
    ref = {}
    for r in results:
        group, kind, _ = meta.get(r["command"], ("?", "?", ""))
        ref[(group, kind)] = r["median"]

    out = []
    out.append("## Container start-up: `/bin/true` in a busybox rootfs")
    out.append("")
    if os.path.exists(os.path.join(res, "env.txt")):
        with open(os.path.join(res, "env.txt"), encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    out.append(f"- {line.strip()}")
        out.append("")
    out.append("R = the busybox rootfs built by scripts/mkrootfs-busybox. Rootless rows run "
               "through the setpriv wrapper named in the row; its bare cost is its own row. "
               "Ratio = row median / cove median of the same group (cove = 1.00x); "
               "the last column subtracts the setpriv-alone median from rootless rows.")
    out.append("")
    out.append("| command | mean ms | median ms | stddev ms | ratio to cove (median) "
               "| median minus setpriv ms |")
    out.append("|---|---:|---:|---:|---:|---:|")
    for r in results:
        label = r["command"]
        group, kind, _ = meta.get(label, ("?", "?", ""))
        cove = ref.get((group, "cove"))
        ratio = f"{r['median'] / cove:.2f}x" if cove else "n/a (no cove row)"
        wrapper = ref.get((group, "setpriv"))
        net = fmt_ms(r["median"] - wrapper) if wrapper and kind != "setpriv" else ""
        out.append(f"| {md_escape(label)} | {fmt_ms(r['mean'])} | {fmt_ms(r['median'])} "
                   f"| {fmt_ms(r['stddev'] or 0.0)} | {ratio} | {net} |")
    out.append("")

    if skipped:
        out.append("Skipped rows:")
        for group, what, why in skipped:
            out.append(f"- {group}: {what}: {why}")
        out.append("")

    # Peak RSS.
    out.append("Peak RSS of `cove run --rootfs R -- /bin/true` (max of 5 runs):")
    if not rss:
        out.append("- not measured (no working cove row)")
    for group, parent, tree in rss:
        p = f"{parent} KB" if parent else "n/a"
        t = f"{tree} KB" if tree else "n/a"
        out.append(f"- {group}: cove process itself (VmHWM at exit) {p}; "
                   f"whole process tree incl. forked children and payload "
                   f"(GNU time %M, upper bound) {t}")
    out.append("")

    # Goals.
    out.append("Goal: cove median <= bwrap median, >= 5x faster than runc, peak RSS < 4 MB")
    out.append("")
    groups = []
    for label, group, _, _ in rows:
        if group not in groups:
            groups.append(group)
    group_label = {}
    for label, group, _, _ in rows:
        group_label.setdefault(group, label.split(":", 1)[0])
    for group in groups:
        gl = group_label[group]
        cove = ref.get((group, "cove"))
        if not cove:
            out.append(f"- {gl}: cove not measured, goals not checked")
            continue
        bwrap = ref.get((group, "bwrap"))
        if bwrap:
            ok = cove <= bwrap
            out.append(f"- {gl}: cove {fmt_ms(cove)} ms vs bwrap {fmt_ms(bwrap)} ms: "
                       f"{'PASS' if ok else 'FAIL'}")
        else:
            out.append(f"- {gl}: no bwrap row, cove <= bwrap not checked")
        runc = ref.get((group, "runc"))
        if runc:
            speedup = runc / cove
            out.append(f"- {gl}: runc / cove = {speedup:.2f}x (goal >= {RUNC_GOAL:.0f}x): "
                       f"{'PASS' if speedup >= RUNC_GOAL else 'FAIL'}")
        else:
            out.append(f"- {gl}: no runc row, >= 5x not checked")
    for group, parent, _ in rss:
        if parent:
            kb = int(parent)
            out.append(f"- {group}: cove peak RSS {kb} KB (goal < {RSS_GOAL_KB} KB): "
                       f"{'PASS' if kb < RSS_GOAL_KB else 'FAIL'}")
    out.append("")

    out.append("<details><summary>exact command lines (hyperfine -N, no shell)</summary>")
    out.append("")
    for label, _, _, cmd in rows:
        if label in by_label:
            out.append(f"- {md_escape(label)}: `{cmd}`")
    out.append("")
    out.append("</details>")
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
