#!/usr/bin/env python3
"""ocispec.py CONFIG ROOTFS — adapt a `runc spec` config.json for the startup bench.

Sets process.args to ["/bin/true"], terminal to false, root.path to ROOTFS
(read-only), and strips everything cgroup-related (linux.resources,
linux.cgroupsPath, the cgroup namespace, cgroup mounts) so the runtimes do not
try to configure cgroups on a hybrid v1/v2 host. Rewrites CONFIG in place.
Stdlib only.
"""

import json
import os
import sys


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        return 2
    path, rootfs = sys.argv[1], os.path.abspath(sys.argv[2])
    with open(path, encoding="utf-8") as f:
        cfg = json.load(f)

    proc = cfg.setdefault("process", {})
    proc["args"] = ["/bin/true"]
    proc["terminal"] = False
    cfg["root"] = {"path": rootfs, "readonly": True}

    linux = cfg.setdefault("linux", {})
    linux.pop("resources", None)
    linux.pop("cgroupsPath", None)
    linux["namespaces"] = [
        ns for ns in linux.get("namespaces", []) if ns.get("type") != "cgroup"
    ]
    cfg["mounts"] = [
        m
        for m in cfg.get("mounts", [])
        if m.get("type") not in ("cgroup", "cgroup2")
        and not m.get("destination", "").startswith("/sys/fs/cgroup")
    ]

    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
