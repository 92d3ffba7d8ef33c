//! `-v/--volume` and `--tmpfs` syntax.

use super::host_source;
use anyhow::{Context, bail, ensure};
use cove_core::rootpath::normalize;
use cove_core::spec::{MountFlags, MountSpec};

/// `HOST:CONTAINER[:OPTIONS]` with options `ro`/`rw` (SELinux `z`/`Z`,
/// macOS `cached`/`delegated`/`consistent` and private/slave propagation are
/// accepted and have no effect); `./rel:CONTAINER` is relative to the
/// current directory (Docker 23+); `/CONTAINER` alone is an anonymous volume
/// (see [`anonymous`]); `NAME:CONTAINER` is a named volume, created on first
/// use (see `volumes.rs`). A Windows drive letter (`C:\src:/src`) is part
/// of its path, not a separator (see [`split_volume`]).
pub fn volume(arg: &str) -> anyhow::Result<MountSpec> {
    // Drive letters are paths only where they exist (Docker on Linux reads
    // `r:/x` as the volume `r`).
    let parts = if cfg!(windows) { split_volume(arg) } else { arg.split(':').collect() };
    let (source, dest, opts) = match parts.as_slice() {
        [d] => return anonymous(d).with_context(|| format!("invalid volume {arg:?}")),
        [s, d] => (*s, *d, ""),
        [s, d, o] => (*s, *d, *o),
        _ => bail!("invalid volume {arg:?}: expected HOST:CONTAINER[:ro|rw]"),
    };
    let mut read_only = false;
    for opt in opts.split(',').filter(|o| !o.is_empty()) {
        match opt {
            "ro" | "readonly" => read_only = true,
            "rw" | "z" | "Z" | "private" | "rprivate" | "slave" | "rslave" | "nocopy" | "cached" | "delegated"
            | "consistent" => {}
            "shared" | "rshared" => bail!(
                "invalid volume {arg:?}: {opt} propagation is not supported (a container's mounts never reach the host); use rslave or rprivate"
            ),
            other => bail!("invalid volume {arg:?}: unknown option {other:?}"),
        }
    }
    bind(source, dest, read_only, &format!("invalid volume {arg:?}"))
}

/// Splits `-v` at its colons, except the colon of a drive letter that
/// starts a field (`C:\x`, `c:/x`): Docker's Windows forms
/// `C:\src:/dst:ro` and `C:\src:C:\dst`.
pub fn split_volume(arg: &str) -> Vec<&str> {
    let b = arg.as_bytes();
    let mut parts = Vec::new();
    let mut start = 0;
    for (i, &c) in b.iter().enumerate() {
        let drive = i == start + 1 && b[start].is_ascii_alphabetic() && matches!(b.get(i + 1), Some(b'\\' | b'/'));
        if c == b':' && !drive {
            parts.push(&arg[start..i]);
            start = i + 1;
        }
    }
    parts.push(&arg[start..]);
    parts
}

/// Whether `path` is an absolute Windows path with a drive letter.
fn is_drive_path(path: &str) -> bool {
    let b = path.as_bytes();
    b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && matches!(b[2], b'\\' | b'/')
}

/// A bind of a host path (`what` names the flag and value in errors).
fn bind(source: &str, dest: &str, read_only: bool, what: &str) -> anyhow::Result<MountSpec> {
    let source = host_source(&named_or_relative(source, what)?)?;
    let destination = normalize(dest).with_context(|| format!("{what}: container path must be absolute"))?;
    if destination == "/" {
        bail!("{what}: cannot mount over /");
    }
    Ok(MountSpec::Bind { source, destination, read_only })
}

/// A host path as given, `./x` and `../x` made absolute; a name is a named
/// volume's data directory (created when missing).
fn named_or_relative(source: &str, what: &str) -> anyhow::Result<String> {
    if source == "." || source == ".." || source.starts_with("./") || source.starts_with("../") {
        let path = std::env::current_dir().context("current directory")?.join(source);
        let abs = std::fs::canonicalize(&path).with_context(|| format!("volume source {}", path.display()))?;
        return Ok(abs.display().to_string());
    }
    if cfg!(windows) && is_drive_path(source) {
        return Ok(source.to_owned());
    }
    if !source.starts_with('/') {
        let data = crate::volumes::for_run(source).with_context(|| what.to_owned())?;
        return Ok(data.display().to_string());
    }
    Ok(source.to_owned())
}

/// An anonymous volume (`-v /data`, `--mount type=volume,target=/data`): a
/// fresh, empty, writable directory that lasts as long as the container —
/// a tmpfs. Docker would copy the image's files at that path into a new
/// volume; `request.rs` refuses the path when the root has files there.
pub fn anonymous(dest: &str) -> anyhow::Result<MountSpec> {
    let destination = normalize(dest).context("the container path must be absolute")?;
    if destination == "/" {
        bail!("cannot mount over /");
    }
    let flags = MountFlags { nodev: true, ..MountFlags::default() };
    Ok(MountSpec::Tmpfs { destination, size: None, mode: 0o755, flags })
}

/// `--mount type=bind|tmpfs|volume,source=…,target=…,…` (Docker's keys).
pub fn mount(arg: &str) -> anyhow::Result<MountSpec> {
    let bad = || format!("invalid --mount {arg:?}");
    let (mut kind, mut source, mut target, mut read_only) = ("volume".to_owned(), None, None, false);
    let mut tmpfs_opts = Vec::new();
    for field in csv_fields(arg).iter().map(|f| f.trim()).filter(|f| !f.is_empty()) {
        let (key, value) = field.split_once('=').map_or((field, None), |(k, v)| (k, Some(v)));
        match (key, value) {
            ("type", Some(v)) => kind = v.to_owned(),
            ("source" | "src", Some(v)) => source = Some(v.to_owned()),
            ("target" | "destination" | "dst", Some(v)) => target = Some(v.to_owned()),
            ("readonly" | "ro", None | Some("true" | "1")) => read_only = true,
            ("readonly" | "ro", Some("false" | "0")) => read_only = false,
            ("bind-propagation", Some("private" | "rprivate" | "slave" | "rslave")) => {}
            ("consistency", Some(_)) | ("volume-nocopy", _) | ("bind-recursive", Some("enabled")) => {}
            ("tmpfs-size", Some(v)) => tmpfs_opts.push(format!("size={v}")),
            ("tmpfs-mode", Some(v)) => tmpfs_opts.push(format!("mode={v}")),
            _ => bail!("{}: unsupported option {field:?}", bad()),
        }
    }
    let target = target.with_context(|| format!("{}: target is required", bad()))?;
    let spec = match (kind.as_str(), source) {
        ("bind", Some(src)) => bind(&src, &target, read_only, &bad())?,
        ("bind", None) => bail!("{}: a bind mount needs source=HOST_PATH", bad()),
        ("tmpfs", None) => {
            // The fields are joined into a `--tmpfs` value: a `,` or `:`
            // inside one (a quoted field) would smuggle in other options.
            let smuggled = target.contains(':') || tmpfs_opts.iter().any(|o| o.contains([',', ':']));
            ensure!(!smuggled, "{}: a tmpfs target or option may not contain ',' or ':'", bad());
            let ro = if read_only { ",ro" } else { "" };
            tmpfs(&format!("{target}:{}{ro}", tmpfs_opts.join(","))).with_context(bad)?
        }
        ("tmpfs", Some(_)) => bail!("{}: a tmpfs mount takes no source", bad()),
        ("volume", None) => anonymous(&target).with_context(bad)?,
        ("volume", Some(name)) => {
            ensure!(
                !name.starts_with('/') && !name.starts_with('.'),
                "{}: a volume source is a volume name (use type=bind for a host path)",
                bad()
            );
            bind(&name, &target, read_only, &bad())?
        }
        (other, _) => bail!("{}: type {other:?} is not supported (bind, tmpfs, volume)", bad()),
    };
    Ok(spec)
}

/// The named volume a `-v` (or, with `is_mount`, `--mount`) value names:
/// its name, the container path, and whether `nocopy` was asked for.
pub fn named_volume(arg: &str, is_mount: bool) -> Option<(String, String, bool)> {
    let (name, dest, nocopy) = if is_mount {
        let (mut kind, mut name, mut dest, mut nocopy) = ("volume".to_owned(), None, None, false);
        for field in csv_fields(arg) {
            match field.trim().split_once('=') {
                Some(("type", v)) => kind = v.to_owned(),
                Some(("source" | "src", v)) => name = Some(v.to_owned()),
                Some(("target" | "destination" | "dst", v)) => dest = Some(v.to_owned()),
                Some(("volume-nocopy", v)) => nocopy = v != "false",
                None if field.trim() == "volume-nocopy" => nocopy = true,
                _ => {}
            }
        }
        (kind == "volume").then_some(())?;
        (name?, dest?, nocopy)
    } else {
        let parts: Vec<&str> = arg.split(':').collect();
        match parts.as_slice() {
            [n, d] => (n.to_string(), d.to_string(), false),
            [n, d, o] => (n.to_string(), d.to_string(), o.split(',').any(|x| x == "nocopy")),
            _ => return None,
        }
    };
    let dest = normalize(&dest).ok()?;
    crate::volumes::valid_name(&name).then_some((name, dest, nocopy))
}

/// Docker reads `--mount` as one CSV record: a field in double quotes may
/// hold commas (`"source=/a,b"`), and `""` inside quotes is a quote.
fn csv_fields(arg: &str) -> Vec<String> {
    let (mut fields, mut cur, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = arg.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => fields.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    fields.push(cur);
    fields
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
        assert!(format!("{:#}", volume("r:/x").unwrap_err()).contains("invalid volume name"));
        assert!(volume("/tmp:rel").is_err());
        assert!(volume("/tmp:/x:bogus").is_err());
        assert!(volume("/tmp:/").is_err());
        assert!(volume("/definitely/missing:/x").unwrap_err().to_string().contains("volume source"));
    }

    #[test]
    fn drive_letters_are_part_of_the_path() {
        assert_eq!(split_volume(r"C:\src:/src:ro"), [r"C:\src", "/src", "ro"]);
        assert_eq!(split_volume(r"c:/data:C:\data"), ["c:/data", r"C:\data"]);
        assert_eq!(split_volume("/a:/b:ro"), ["/a", "/b", "ro"]);
        assert_eq!(split_volume("C:rel:/x"), ["C", "rel", "/x"], "no separator after the letter: not a drive");
        assert_eq!(split_volume("/a:C:/b"), ["/a", "C:/b"]);
        assert_eq!(split_volume("ab:/x"), ["ab", "/x"]);
        assert!(is_drive_path(r"D:\") && is_drive_path("d:/x") && !is_drive_path("/x") && !is_drive_path("C:x"));
        let e = format!("{:#}", volume(r"C:\src:/src:ro").unwrap_err());
        if cfg!(windows) {
            assert!(!e.contains("volume name"), "an absolute path here: {e}");
        } else {
            assert!(e.contains("invalid volume"), "not a path on this OS: {e}");
        }
    }

    #[test]
    fn docker_volume_forms() {
        let m = volume("/tmp:/w:ro,z").unwrap();
        assert_eq!(m, MountSpec::Bind { source: "/tmp".into(), destination: "/w".into(), read_only: true });
        assert!(!matches!(volume("/tmp:/w:rw,Z").unwrap(), MountSpec::Bind { read_only: true, .. }));
        let MountSpec::Bind { source, .. } = volume("./:/w").unwrap() else { panic!() };
        assert_eq!(source, std::fs::canonicalize(".").unwrap());
        assert!(matches!(volume("/data").unwrap(), MountSpec::Tmpfs { size: None, mode: 0o755, .. }));
        assert!(format!("{:#}", volume("my data:/data").unwrap_err()).contains("invalid volume name"));
        assert!(volume("/tmp:/w:rshared").is_err());
    }

    #[test]
    fn mount_flag() {
        let m = mount("type=bind,source=/tmp,target=/w,readonly").unwrap();
        assert_eq!(m, MountSpec::Bind { source: "/tmp".into(), destination: "/w".into(), read_only: true });
        let m = mount("type=bind,src=/tmp,dst=/w,ro=false,bind-propagation=rslave").unwrap();
        assert!(matches!(m, MountSpec::Bind { read_only: false, .. }));
        let m = mount("type=tmpfs,destination=/cache,tmpfs-size=64m,tmpfs-mode=1770").unwrap();
        assert!(matches!(m, MountSpec::Tmpfs { size: Some(s), mode: 0o1770, .. } if s == 64 << 20), "{m:?}");
        assert!(matches!(mount("target=/data").unwrap(), MountSpec::Tmpfs { .. }));
        assert_eq!(csv_fields(r#"type=bind,"source=/a,b",target=/x"#), ["type=bind", "source=/a,b", "target=/x"]);
        assert_eq!(csv_fields(r#""target=/say ""hi""""#), [r#"target=/say "hi""#]);
        for bad in [
            "type=volume,source=/tmp,target=/d",
            "type=volume,source=-x,target=/d",
            "type=bind,target=/d",
            "type=bind,source=/tmp",
            "type=tmpfs,source=/x,target=/d",
            "type=npipe,target=/d",
            "type=bind,source=/tmp,target=/d,bind-propagation=rshared",
            "type=bind,source=/tmp,target=/d,bogus=1",
        ] {
            assert!(mount(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn named_volume_forms() {
        let got = |a, m| named_volume(a, m);
        assert_eq!(got("data:/x/../y", false), Some(("data".into(), "/y".into(), false)));
        assert_eq!(got("data:/y:ro,nocopy", false), Some(("data".into(), "/y".into(), true)));
        assert_eq!(got("src=data,dst=/y,volume-nocopy", true), Some(("data".into(), "/y".into(), true)));
        assert_eq!(got("type=volume,source=data,target=/y", true), Some(("data".into(), "/y".into(), false)));
        for (arg, m) in [("/tmp:/y", false), ("./d:/y", false), ("x:/y", false), ("/y", false)] {
            assert_eq!(got(arg, m), None, "{arg}");
        }
        assert_eq!(got("type=bind,source=data,target=/y", true), None);
        assert_eq!(got("type=volume,target=/y", true), None);
    }

    #[test]
    fn mount_fields_cannot_smuggle_tmpfs_options() {
        for arg in [
            r#"type=tmpfs,target=/x,"tmpfs-mode=1777,exec""#,
            r#"type=tmpfs,target=/x,"tmpfs-size=1m,suid,dev""#,
            "type=tmpfs,target=/x:exec,tmpfs-size=1m",
            r#"type=tmpfs,"target=/x:exec,suid",tmpfs-mode=755"#,
        ] {
            assert!(mount(arg).is_err(), "{arg} accepted");
        }
        assert!(mount("type=tmpfs,target=/x,tmpfs-size=1m,tmpfs-mode=1777").is_ok());
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
