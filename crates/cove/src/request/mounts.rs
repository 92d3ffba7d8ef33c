//! `-v/--volume` and `--tmpfs` syntax.

use super::host_source;
use anyhow::{Context, bail};
use cove_core::rootpath::normalize;
use cove_core::spec::{MountFlags, MountSpec};

/// `HOST:CONTAINER[:OPTIONS]` with options `ro`/`rw` (SELinux `z`/`Z` and
/// propagation words are accepted and have no effect).
pub fn volume(arg: &str) -> anyhow::Result<MountSpec> {
    let parts: Vec<&str> = arg.split(':').collect();
    let (source, dest, opts) = match parts.as_slice() {
        [s, d] => (*s, *d, ""),
        [s, d, o] => (*s, *d, *o),
        _ => bail!("invalid volume {arg:?}: expected HOST:CONTAINER[:ro|rw]"),
    };
    let mut read_only = false;
    for opt in opts.split(',').filter(|o| !o.is_empty()) {
        match opt {
            "ro" => read_only = true,
            "rw" | "z" | "Z" | "private" | "rprivate" | "slave" | "rslave" | "nocopy" => {}
            other => bail!("invalid volume {arg:?}: unknown option {other:?}"),
        }
    }
    let source = host_source(source)?;
    let destination =
        normalize(dest).with_context(|| format!("invalid volume {arg:?}: container path must be absolute"))?;
    if destination == "/" {
        bail!("invalid volume {arg:?}: cannot mount over /");
    }
    Ok(MountSpec::Bind { source, destination, read_only })
}

/// `PATH[:size=N,mode=OCTAL,ro,exec,suid,dev,...]`; Docker's defaults are
/// nosuid, nodev and noexec.
pub fn tmpfs(arg: &str) -> anyhow::Result<MountSpec> {
    let (path, opts) = arg.split_once(':').unwrap_or((arg, ""));
    let destination = normalize(path).with_context(|| format!("invalid --tmpfs {arg:?}"))?;
    let (mut size, mut mode) = (None, 0o1777);
    let mut flags = MountFlags { nosuid: true, nodev: true, noexec: true, read_only: false };
    for opt in opts.split(',').filter(|o| !o.is_empty()) {
        match opt.split_once('=') {
            Some(("size", v)) => size = Some(parse_size(v).with_context(|| format!("invalid --tmpfs {arg:?}"))?),
            Some(("mode", v)) => {
                mode = u32::from_str_radix(v, 8).with_context(|| format!("invalid --tmpfs {arg:?}: mode {v:?}"))?
            }
            None => match opt {
                "rw" | "ro" => flags.read_only = opt == "ro",
                "exec" | "noexec" => flags.noexec = opt == "noexec",
                "suid" | "nosuid" => flags.nosuid = opt == "nosuid",
                "dev" | "nodev" => flags.nodev = opt == "nodev",
                _ => bail!("invalid --tmpfs {arg:?}: unknown option {opt:?}"),
            },
            _ => bail!("invalid --tmpfs {arg:?}: unknown option {opt:?}"),
        }
    }
    Ok(MountSpec::Tmpfs { destination, size, mode, flags })
}

/// `512`, `64k`, `256m`, `1g` (binary units, as Docker).
pub fn parse_size(v: &str) -> anyhow::Result<u64> {
    let lower = v.to_ascii_lowercase();
    let trimmed = lower.trim_end_matches('b');
    let (num, mult) = match trimmed.char_indices().last() {
        Some((i, 'k')) => (&trimmed[..i], 1u64 << 10),
        Some((i, 'm')) => (&trimmed[..i], 1 << 20),
        Some((i, 'g')) => (&trimmed[..i], 1 << 30),
        _ => (trimmed, 1),
    };
    let n: u64 = num.parse().with_context(|| format!("size {v:?}: expected a number with an optional k, m or g"))?;
    n.checked_mul(mult).with_context(|| format!("size {v:?} is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volumes() {
        let m = volume("/tmp:/data/../x:ro").unwrap();
        assert_eq!(m, MountSpec::Bind { source: "/tmp".into(), destination: "/x".into(), read_only: true });
        assert!(volume("rel:/x").unwrap_err().to_string().contains("absolute host path"));
        assert!(volume("/tmp:rel").is_err());
        assert!(volume("/tmp:/x:bogus").is_err());
        assert!(volume("/tmp:/").is_err());
        assert!(volume("/definitely/missing:/x").unwrap_err().to_string().contains("volume source"));
    }

    #[test]
    fn tmpfs_options() {
        let m = tmpfs("/run:size=64m,mode=755").unwrap();
        let hard = MountFlags { nosuid: true, nodev: true, noexec: true, read_only: false };
        assert_eq!(m, MountSpec::Tmpfs { destination: "/run".into(), size: Some(64 << 20), mode: 0o755, flags: hard });
        let MountSpec::Tmpfs { flags, .. } = tmpfs("/x:exec,ro").unwrap() else { panic!() };
        assert_eq!(flags, MountFlags { noexec: false, read_only: true, ..hard });
        assert!(tmpfs("/x:bogus").is_err());
        assert!(tmpfs("/run:size=lots").is_err());
        assert!(tmpfs("relative").is_err());
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("512").unwrap(), 512);
        assert_eq!(parse_size("1g").unwrap(), 1 << 30);
        assert_eq!(parse_size("64MB").unwrap(), 64 << 20);
        assert!(parse_size("x").is_err());
    }
}
