//! Scratch directories and the busybox root filesystem fixture.

use super::*;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// A scratch directory under `target/tmp/work`, owned by the mode's user
/// (so rootless containers can write where the test expects them to), and
/// removed when dropped.
pub struct TestDir {
    path: PathBuf,
    owner: Option<(u32, u32)>,
}

impl TestDir {
    /// Creates a fresh directory.
    pub fn new(mode: Mode, tag: &str) -> TestDir {
        let base = Path::new(TARGET_TMP).join("work");
        std::fs::create_dir_all(&base).expect("create target/tmp/work");
        // Traversable by the unprivileged user whatever the umask was.
        for d in [Path::new(TARGET_TMP), &base] {
            let _ = std::fs::set_permissions(d, std::os::unix::fs::PermissionsExt::from_mode(0o755));
        }
        let path = base.join(unique(tag));
        std::fs::create_dir(&path).unwrap_or_else(|e| panic!("create {}: {e}", path.display()));
        let owner = (mode == Mode::Rootless && is_root()).then(|| mode.host_ids());
        let dir = TestDir { path, owner };
        dir.own(&dir.path);
        dir
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A path inside it.
    pub fn join(&self, p: &str) -> PathBuf {
        self.path.join(p)
    }

    /// Gives `p` to the mode's user (no-op unless rootless-as-root).
    pub fn own(&self, p: &Path) {
        if let Some((u, g)) = self.owner {
            std::os::unix::fs::lchown(p, Some(u), Some(g)).unwrap_or_else(|e| panic!("chown {}: {e}", p.display()));
        }
    }

    /// Writes a file (creating parents) owned by the mode's user.
    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let p = self.join(name);
        self.mkdir_parents(&p);
        std::fs::write(&p, contents).unwrap_or_else(|e| panic!("write {}: {e}", p.display()));
        self.own(&p);
        p
    }

    /// Creates a directory (and parents) owned by the mode's user.
    pub fn mkdir(&self, name: &str) -> PathBuf {
        let p = self.join(name);
        self.mkdir_parents(&p);
        std::fs::create_dir_all(&p).unwrap_or_else(|e| panic!("mkdir {}: {e}", p.display()));
        self.own(&p);
        p
    }

    /// Creates a symlink owned by the mode's user.
    pub fn symlink(&self, target: &str, name: &str) -> PathBuf {
        let p = self.join(name);
        self.mkdir_parents(&p);
        std::os::unix::fs::symlink(target, &p).unwrap_or_else(|e| panic!("symlink {}: {e}", p.display()));
        self.own(&p);
        p
    }

    fn mkdir_parents(&self, p: &Path) {
        let mut missing = Vec::new();
        let mut cur = p.parent();
        while let Some(d) = cur {
            if d.exists() || d == self.path {
                break;
            }
            missing.push(d.to_path_buf());
            cur = d.parent();
        }
        for d in missing.iter().rev() {
            std::fs::create_dir(d).unwrap_or_else(|e| panic!("mkdir {}: {e}", d.display()));
            self.own(d);
        }
    }

    /// A private, writable copy of the busybox root filesystem at `NAME`
    /// (None, with a SKIP, when the fixture cannot be built).
    pub fn rootfs_copy(&self, mode: Mode, name: &str) -> Option<PathBuf> {
        let src = busybox(mode)?;
        let dst = self.join(name);
        run_host(Command::new("cp").arg("-a").arg(src).arg(&dst));
        Some(dst)
    }
}

impl Drop for TestDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Runs a host helper command and fails the test when it fails.
pub fn run_host(cmd: &mut Command) -> String {
    let out = cmd.stdin(Stdio::null()).output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The path of `scripts/mkrootfs-busybox`.
pub fn mkrootfs_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/mkrootfs-busybox")
}

/// The shared busybox root filesystem for `mode` (do not write to it; use
/// [`TestDir::rootfs_copy`] for that). Built once per test binary; `None`
/// after a loud SKIP when it cannot be built.
pub fn busybox(mode: Mode) -> Option<&'static Path> {
    static BASE: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    static FOR_TEST_USER: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let base: &'static Result<PathBuf, String> = BASE.get_or_init(build_base_rootfs);
    let got: Result<&'static Path, String> = match base {
        Err(e) => Err(e.clone()),
        Ok(b) if mode == Mode::Rootless && is_root() => {
            FOR_TEST_USER.get_or_init(|| copy_for_test_user(b)).as_deref().map_err(Clone::clone)
        }
        Ok(b) => Ok(b.as_path()),
    };
    got.map_err(|why| skip(&format!("{}: busybox rootfs", mode.label()), &why)).ok()
}

fn build_base_rootfs() -> Result<PathBuf, String> {
    let script = mkrootfs_script();
    if !script.exists() {
        return Err(format!("{} is missing", script.display()));
    }
    let dir = Path::new(TARGET_TMP).join(format!("busybox-rootfs-uid{}", rustix::process::geteuid().as_raw()));
    let out = Command::new(&script)
        .arg(&dir)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
    if !out.status.success() {
        return Err(format!("{} failed: {}", script.display(), String::from_utf8_lossy(&out.stderr).trim()));
    }
    Ok(dir)
}

/// A copy of the root-built fixture owned by covetest, so that a rootless
/// container's root (= covetest) owns its files as a real user's rootfs would.
fn copy_for_test_user(base: &Path) -> Result<PathBuf, String> {
    let dst = Path::new(TARGET_TMP).join(format!("busybox-rootfs-{TEST_USER}"));
    let stamp = Path::new(TARGET_TMP).join(format!("busybox-rootfs-{TEST_USER}.complete"));
    let same = |a: &Path, b: &Path| std::fs::read(a).ok().is_some_and(|x| std::fs::read(b).ok() == Some(x));
    if stamp.exists() && same(&base.join("bin/busybox"), &dst.join("bin/busybox")) {
        return Ok(dst);
    }
    let _ = std::fs::remove_file(&stamp);
    let tmp = Path::new(TARGET_TMP).join(unique("busybox-rootfs-tmp"));
    let steps: [Vec<OsString>; 2] = [
        vec!["cp".into(), "-a".into(), base.into(), tmp.clone().into()],
        vec!["chown".into(), "-R".into(), format!("{TEST_USER}:").into(), tmp.clone().into()],
    ];
    for step in steps {
        let st = Command::new(&step[0]).args(&step[1..]).status().map_err(|e| format!("{step:?}: {e}"))?;
        if !st.success() {
            return Err(format!("{step:?} failed"));
        }
    }
    let _ = std::fs::remove_dir_all(&dst);
    if let Err(e) = std::fs::rename(&tmp, &dst) {
        let _ = std::fs::remove_dir_all(&tmp);
        // Another test process (a concurrent `cargo test`) may have won.
        return if stamp.exists() { Ok(dst) } else { Err(format!("rename to {}: {e}", dst.display())) };
    }
    std::fs::write(&stamp, "").map_err(|e| e.to_string())?;
    Ok(dst)
}
