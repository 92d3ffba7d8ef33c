//! Docker's other `cove run` flags (`cli/compat_args.rs`): honoured
//! (`--mount`, `--shm-size`, `--sysctl`, `--domainname`, `--group-add`),
//! checked and accepted where they change nothing about a foreground run
//! (labels, logging, `--expose`, health checks, `--sig-proxy`,
//! `--detach-keys`; `-a` is honoured), or refused with a reason and a hint.

use super::mounts;
use crate::cli::{CompatArgs, RunArgs};
use anyhow::{Context, bail, ensure};
use cove_core::spec::{ExtraSpec, MountSpec, RootSpec, UserIds};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Refusals first, then the syntax of the accepted metadata flags.
pub fn check(c: &CompatArgs) -> anyhow::Result<()> {
    refusals(c)?;
    super::compat_more::check(&c.more)?;
    check_accepted(c)
}

/// Flags cove cannot honour: refused before anything else is looked at.
fn refusals(c: &CompatArgs) -> anyhow::Result<()> {
    if let Some(d) = c.device.first() {
        bail!(
            "--device {d} is not supported: a host device would give the container direct access to hardware\n\
             hint: run the program on the host, or bind a file with -v when it is not a device"
        );
    }
    if let Some(from) = c.volumes_from.first() {
        bail!(
            "--volumes-from {from} is not supported: cove keeps no other containers to share volumes with\nhint: mount the same host directory with -v in both"
        );
    }
    if let Some(r) = &c.runtime {
        bail!("--runtime {r} is not supported: cove runs containers itself");
    }
    if !c.device_cgroup_rule.is_empty() {
        bail!("--device-cgroup-rule is not supported: no host devices are passed into containers");
    }
    if !c.storage_opt.is_empty() {
        bail!("--storage-opt is not supported: the container's writable layer is a tmpfs with no driver options");
    }
    if c.gpus.is_some() {
        bail!("--gpus is not supported: cove does not pass GPUs into containers");
    }
    if c.mac_address.is_some() {
        bail!("--mac-address is not supported: the container has no network interface of its own to set it on");
    }
    if let Some(i) = c.isolation.as_deref().filter(|i| !i.is_empty() && *i != "default") {
        bail!("--isolation {i} is not supported: only the default isolation (Linux namespaces) exists");
    }
    for (flag, value) in [("--ipc", &c.ipc), ("--pid", &c.pid), ("--uts", &c.uts), ("--cgroupns", &c.cgroupns)] {
        namespace_mode(flag, value.as_deref())?;
    }
    if let Some(d) = c.log_driver.as_deref().filter(|d| !matches!(*d, "json-file" | "local" | "none")) {
        bail!(
            "--log-driver {d} is not supported: a foreground run writes to cove's own stdout and stderr\n\
             hint: json-file, local and none are accepted"
        );
    }
    Ok(())
}

/// `--ipc/--pid/--uts/--cgroupns`: only the container's own namespace.
fn namespace_mode(flag: &str, mode: Option<&str>) -> anyhow::Result<()> {
    match mode {
        None | Some("" | "private") => Ok(()),
        Some("shareable" | "none") if flag == "--ipc" => Ok(()),
        Some("host") if flag == "--uts" => Ok(()),
        Some("host") => bail!(
            "{flag} host is not supported: cove always gives the container its own namespace (sharing the \
             host's would let it see and affect the host's programs)\nhint: leave {flag} out (private)"
        ),
        Some(other) => bail!("{flag} {other} is not supported: only private (the default) is"),
    }
}

/// Checks the accepted metadata flags (labels, logging, ports, health
/// checks, streams) so that typos fail as they do with Docker.
fn check_accepted(c: &CompatArgs) -> anyhow::Result<()> {
    labels(c)?;
    for a in &c.annotation {
        ensure!(
            a.split_once('=').is_some_and(|(k, _)| !k.is_empty()),
            "invalid --annotation {a:?}: expected KEY=VALUE"
        );
    }
    for o in &c.log_opt {
        ensure!(o.split_once('=').is_some_and(|(k, _)| !k.is_empty()), "invalid --log-opt {o:?}: expected KEY=VALUE");
    }
    for p in &c.expose {
        ensure!(is_port_spec(p), "invalid --expose {p:?}: expected PORT[-PORT][/tcp|udp|sctp]");
    }
    for (flag, v) in [
        ("--health-interval", &c.health_interval),
        ("--health-timeout", &c.health_timeout),
        ("--health-start-period", &c.health_start_period),
        ("--health-start-interval", &c.health_start_interval),
    ] {
        if let Some(v) = v {
            ensure!(is_duration(v), "invalid {flag} {v:?}: expected a duration such as 30s, 1m30s or 500ms");
        }
    }
    ensure!(!(c.no_healthcheck && c.health_cmd.is_some()), "--no-healthcheck conflicts with --health-* options");
    for a in &c.attach {
        ensure!(
            matches!(a.to_ascii_lowercase().as_str(), "stdin" | "stdout" | "stderr"),
            "invalid --attach {a:?}: expected STDIN, STDOUT or STDERR"
        );
    }
    Ok(())
}

/// `--label-file` lines (`#` comments and blank lines skipped), then
/// `--label`, later ones winning; `KEY` alone is an empty value (Docker).
pub fn labels(c: &CompatArgs) -> anyhow::Result<BTreeMap<String, String>> {
    let mut entries = Vec::new();
    for f in &c.label_file {
        let text = std::fs::read_to_string(f).with_context(|| format!("--label-file {}", f.display()))?;
        let lines = text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#'));
        entries.extend(lines.map(|l| (l.to_owned(), "--label-file")));
    }
    entries.extend(c.label.iter().map(|l| (l.clone(), "--label")));
    let mut out = BTreeMap::new();
    for (l, flag) in entries {
        let (k, v) = l.split_once('=').unwrap_or((&l, ""));
        ensure!(!k.trim().is_empty(), "invalid {flag} {l:?}: expected KEY=VALUE");
        out.insert(k.trim().to_owned(), v.to_owned());
    }
    Ok(out)
}

fn is_port_spec(p: &str) -> bool {
    let (ports, proto) = p.split_once('/').unwrap_or((p, "tcp"));
    let port = |s: &str| s.parse::<u16>().is_ok_and(|n| n > 0);
    let ports_ok = match ports.split_once('-') {
        Some((a, b)) => port(a) && port(b) && a.parse::<u16>().ok() <= b.parse::<u16>().ok(),
        None => port(ports),
    };
    ports_ok && matches!(proto, "tcp" | "udp" | "sctp")
}

/// Go's duration syntax: one or more NUMBER UNIT pairs (`1m30s`, `0.5s`).
fn is_duration(v: &str) -> bool {
    let mut rest = v;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(rest.len());
        let unit_len = rest[digits..].find(|c: char| c.is_ascii_digit()).unwrap_or(rest.len() - digits);
        let unit = &rest[digits..digits + unit_len];
        if digits == 0 || !matches!(unit, "ns" | "us" | "µs" | "ms" | "s" | "m" | "h") {
            return v == "0";
        }
        rest = &rest[digits + unit_len..];
    }
    !v.is_empty()
}

/// `--shm-size`, `--sysctl`, `--domainname` and `--group-add` (names
/// looked up in the container's own `/etc/group` text and added to `user`'s
/// groups), `--uts host` and `-a`.
pub fn extra(args: &RunArgs, own_net: bool, group_db: &str, user: &mut UserIds) -> anyhow::Result<ExtraSpec> {
    let c = &args.compat;
    let shm_size = c.shm_size.as_deref().map(|s| mounts::parse_size(s).context("invalid --shm-size")).transpose()?;
    ensure!(shm_size != Some(0), "invalid --shm-size 0: must be more than 0");
    let sysctls = c.sysctl.iter().map(|s| sysctl(s, own_net)).collect::<anyhow::Result<_>>()?;
    if let Some(d) = &c.domainname {
        let ok = !d.is_empty() && d.len() <= 64 && d.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._".contains(&b));
        ensure!(ok, "invalid --domainname {d:?}: use letters, digits, '-', '_' and '.', at most 64 characters");
    }
    let group_add: Vec<u32> = c.group_add.iter().map(|g| group(g, group_db)).collect::<anyhow::Result<_>>()?;
    for g in &group_add {
        if !user.groups.contains(g) {
            user.groups.push(*g);
        }
    }
    let detached = |s: &str| !c.attach.is_empty() && !c.attach.iter().any(|a| a.eq_ignore_ascii_case(s));
    let host_uts = c.uts.as_deref() == Some("host");
    ensure!(
        !host_uts || (args.hostname.is_none() && c.domainname.is_none()),
        "conflicting options: --hostname/--domainname and --uts host (the host's names cannot be changed)"
    );
    let no_shm = c.ipc.as_deref() == Some("none");
    ensure!(!(no_shm && c.shm_size.is_some()), "conflicting options: --shm-size and --ipc none (no /dev/shm)");
    Ok(ExtraSpec {
        no_shm,
        host_uts,
        shm_size,
        sysctls,
        domainname: c.domainname.clone(),
        group_add,
        discard_stdout: detached("stdout"),
        discard_stderr: detached("stderr"),
    })
}

/// `--uts host`: the host's own hostname (what the container will see).
pub fn host_name() -> anyhow::Result<String> {
    let path = "/proc/sys/kernel/hostname";
    let name = std::fs::read_to_string(path).with_context(|| format!("--uts host: read {path}"))?;
    Ok(name.trim_end().to_owned())
}

/// `-i` connects stdin unless `-a` lists streams without `stdin` (Docker).
pub fn stdin_attached(args: &RunArgs) -> bool {
    let a = &args.compat.attach;
    args.interactive && (a.is_empty() || a.iter().any(|s| s.eq_ignore_ascii_case("stdin")))
}

/// One `--sysctl KEY=VALUE`, allowed only for namespaces the container owns
/// (Docker's list): IPC (`kernel.msg*`, `kernel.sem`, `kernel.shm*`,
/// `fs.mqueue.*`) and, with its own network, `net.*`.
fn sysctl(entry: &str, own_net: bool) -> anyhow::Result<(String, String)> {
    let (key, value) =
        entry.split_once('=').with_context(|| format!("invalid --sysctl {entry:?}: expected KEY=VALUE"))?;
    let key = key.trim().replace('/', ".");
    let parts_ok =
        key.split('.').all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-".contains(&b)));
    ensure!(parts_ok, "invalid --sysctl {entry:?}: not a kernel parameter name");
    let ipc = matches!(key.as_str(), "kernel.msgmax" | "kernel.msgmnb" | "kernel.msgmni" | "kernel.sem")
        || matches!(key.as_str(), "kernel.shmall" | "kernel.shmmax" | "kernel.shmmni" | "kernel.shm_rmid_forced")
        || key.starts_with("fs.mqueue.");
    if key.starts_with("net.") {
        ensure!(
            own_net,
            "--sysctl {key} is not allowed with --network host: it would change the host's network settings"
        );
    } else if !ipc {
        bail!(
            "--sysctl {key} is not allowed: it is not in a namespace of the container's own and would change the host \
             (allowed: kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.*, net.*)"
        );
    }
    Ok((key, value.to_owned()))
}

/// A `--group-add` group: a number, or a name in the container's `/etc/group`.
fn group(name: &str, group_db: &str) -> anyhow::Result<u32> {
    if let Ok(gid) = name.parse() {
        return Ok(gid);
    }
    let found = group_db.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.len() >= 3 && f[0] == name).then(|| f[2].parse().ok()).flatten()
    });
    found.with_context(|| format!("--group-add {name}: no such group in the container's /etc/group"))
}

/// `-v` and `--mount`, in that order. An anonymous volume over a directory
/// the root has files in is refused: Docker would copy them into the new
/// volume, and an empty one in their place would be silently different.
pub fn user_mounts(args: &RunArgs, root: &RootSpec) -> anyhow::Result<Vec<MountSpec>> {
    // A new named volume starts with the root's files at its mount point
    // (Docker), unless `nocopy` was asked for.
    let dirs = root_dirs(root);
    let given = args.volume.iter().map(|v| (v, false)).chain(args.compat.mount.iter().map(|m| (m, true)));
    for (arg, is_mount) in given {
        if let Some((name, dest, nocopy)) = mounts::named_volume(arg, is_mount) {
            let fill = |data: &std::path::Path| {
                if nocopy { Ok(()) } else { crate::volumes::copy_up(data, &dirs, &dest) }
            };
            crate::volumes::create_filled(Some(&name), BTreeMap::new(), &fill)
                .with_context(|| format!("volume {arg:?}: create it with the image's files at {dest}"))?;
        }
    }
    let mut out = Vec::new();
    let volumes = args.volume.iter().map(|v| (v, !v.contains(':'), mounts::volume(v)));
    let anonymous_mount = |m: &str| {
        !m.contains("type=tmpfs") && !m.contains("type=bind") && !m.contains("src=") && !m.contains("source=")
    };
    let mounts = args.compat.mount.iter().map(|m| (m, anonymous_mount(m), mounts::mount(m)));
    for (arg, anonymous, spec) in volumes.chain(mounts) {
        let spec = spec?;
        if anonymous && let MountSpec::Tmpfs { destination, .. } = &spec {
            ensure!(
                !root_has_files(root, destination),
                "anonymous volume {arg:?}: the image has files at {destination}, which Docker would copy into a new \
                 volume and cove cannot\nhint: bind a host directory there (-v /abs/dir:{destination}) or leave it to the container's own layer"
            );
        }
        out.push(spec);
    }
    Ok(out)
}

fn root_dirs(root: &RootSpec) -> Vec<PathBuf> {
    match root {
        RootSpec::Directory { path, .. } => vec![path.clone()],
        RootSpec::Layers { lowers } => lowers.clone(),
        RootSpec::HostSystem => Vec::new(),
    }
}

fn root_has_files(root: &RootSpec, dest: &str) -> bool {
    let dirs = root_dirs(root);
    // Through a link the answer would be about a host path: not the image's.
    let found = |d: &PathBuf| crate::volumes::dir_in_image(d, dest).ok().flatten();
    dirs.iter().filter_map(found).any(|p| std::fs::read_dir(p).is_ok_and(|mut r| r.next().is_some()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sysctls_only_in_own_namespaces() {
        assert_eq!(sysctl("kernel.shmmax=1024", true).unwrap(), ("kernel.shmmax".into(), "1024".into()));
        assert_eq!(sysctl("net/ipv4/ip_forward=1", true).unwrap().0, "net.ipv4.ip_forward");
        assert!(sysctl("fs.mqueue.msg_max=20", false).is_ok());
        assert!(sysctl("net.ipv4.ip_forward=1", false).unwrap_err().to_string().contains("--network host"));
        for bad in ["kernel.pid_max=1", "vm.swappiness=1", "kernel.shmmax", "net..x=1", "net.ipv4/../../x=1"] {
            assert!(sysctl(bad, true).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn metadata_syntax() {
        assert!(is_port_spec("80") && is_port_spec("8000-8010/udp") && is_port_spec("53/sctp"));
        assert!(!is_port_spec("0") && !is_port_spec("80/icmp") && !is_port_spec("90-80") && !is_port_spec("x"));
        assert!(is_duration("30s") && is_duration("1m30s") && is_duration("500ms") && is_duration("0"));
        assert!(!is_duration("30") && !is_duration("") && !is_duration("s") && !is_duration("5 s"));
    }

    #[test]
    fn groups_by_number_or_name() {
        let db = "root:x:0:\nvideo:x:44:\n";
        assert_eq!(group("1000", db).unwrap(), 1000);
        assert_eq!(group("video", db).unwrap(), 44);
        assert!(group("audio", db).is_err());
    }

    #[test]
    fn namespace_modes() {
        assert!(namespace_mode("--ipc", Some("shareable")).is_ok());
        assert!(namespace_mode("--pid", Some("private")).is_ok());
        assert!(namespace_mode("--pid", Some("host")).unwrap_err().to_string().contains("--pid host"));
        assert!(namespace_mode("--uts", Some("container:x")).is_err());
        assert!(namespace_mode("--uts", Some("host")).is_ok());
    }
}
