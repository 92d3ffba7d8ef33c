//! Who is asking and on what: the caller's ids and name, the kernel release
//! and architecture, plus small readers shared by the probes.

use super::kernel::KernelVersion;
use std::path::{Path, PathBuf};

/// `PATH` used when the environment has none (the usual login default).
const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The caller and the kernel, read once and shared by every probe.
#[derive(Clone, Debug)]
pub struct Host {
    /// The caller's real uid.
    pub uid: u32,
    /// The caller's real gid.
    pub gid: u32,
    /// The caller's login name from `/etc/passwd`, when it has one.
    pub user: Option<String>,
    /// `uname -r`, as reported.
    pub release: String,
    /// The release's numeric version, when it parses.
    pub kernel: Option<KernelVersion>,
    /// `uname -m`.
    pub arch: String,
}

impl Host {
    /// Reads the caller's ids and the kernel's `uname`.
    pub fn detect() -> Host {
        let uid = rustix::process::getuid().as_raw();
        let gid = rustix::process::getgid().as_raw();
        let user = read_text("/etc/passwd").and_then(|text| passwd_name(&text, uid));
        let uts = rustix::system::uname();
        let release = uts.release().to_string_lossy().into_owned();
        let arch = uts.machine().to_string_lossy().into_owned();
        Host { uid, gid, kernel: KernelVersion::parse(&release), user, release, arch }
    }

    /// Whether the caller is root (and so needs no delegation or helpers).
    pub fn is_root(&self) -> bool {
        self.uid == 0
    }

    /// The caller's name, or its uid when it has none.
    pub fn user_label(&self) -> String {
        self.user.clone().unwrap_or_else(|| self.uid.to_string())
    }

    /// Facts shown before the feature table.
    pub fn facts(&self) -> Vec<(String, String)> {
        let distro = read_text("/etc/os-release").and_then(|t| os_release_name(&t));
        let user = format!("{} (uid {}, gid {})", self.user_label(), self.uid, self.gid);
        let mut facts = vec![("kernel".to_owned(), self.release.clone()), ("arch".to_owned(), self.arch.clone())];
        if let Some(distro) = distro {
            facts.push(("distribution".to_owned(), distro));
        }
        facts.push(("user".to_owned(), user));
        facts
    }
}

/// A whole file as text, `None` when it cannot be read.
pub fn read_text(path: impl AsRef<Path>) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

/// A file holding one number, such as a sysctl under `/proc/sys`.
pub fn read_number(path: impl AsRef<Path>) -> Option<u64> {
    read_text(path)?.trim().parse().ok()
}

/// The first executable file called `name` in `PATH` (or the default path).
pub fn find_in_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_else(|| DEFAULT_PATH.into());
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| rustix::fs::access(p, rustix::fs::Access::EXEC_OK).is_ok() && p.is_file())
}

/// The login name of `uid` in `/etc/passwd` text.
pub fn passwd_name(text: &str, uid: u32) -> Option<String> {
    text.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        let id: u32 = fields.nth(1)?.parse().ok()?;
        (id == uid && !name.is_empty()).then(|| name.to_owned())
    })
}

/// `PRETTY_NAME` from `/etc/os-release` text, without quotes.
pub fn os_release_name(text: &str) -> Option<String> {
    let value = text.lines().find_map(|l| l.strip_prefix("PRETTY_NAME="))?;
    Some(value.trim().trim_matches('"').trim_matches('\'').to_owned()).filter(|v| !v.is_empty())
}

/// The value of a `Key:\tvalue` line in `/proc/<pid>/status` text.
pub fn status_field<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    text.lines().find_map(|line| {
        let (k, v) = line.split_once(':')?;
        (k == key).then(|| v.trim())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_login_names_by_uid() {
        let passwd = "root:x:0:0:root:/root:/bin/bash\n# comment\ncovetest:x:1001:1001::/home/covetest:/bin/sh\n";
        assert_eq!(passwd_name(passwd, 0).as_deref(), Some("root"));
        assert_eq!(passwd_name(passwd, 1001).as_deref(), Some("covetest"));
        assert_eq!(passwd_name(passwd, 1002), None);
    }

    #[test]
    fn reads_pretty_name() {
        let text = "NAME=\"Debian GNU/Linux\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n";
        assert_eq!(os_release_name(text).as_deref(), Some("Debian GNU/Linux 12 (bookworm)"));
        assert_eq!(os_release_name("ID=alpine\n"), None);
    }

    #[test]
    fn reads_status_fields() {
        let status = "Name:\tcove\nSeccomp:\t2\nSeccomp_filters:\t1\nNoNewPrivs:\t0\n";
        assert_eq!(status_field(status, "Seccomp"), Some("2"));
        assert_eq!(status_field(status, "Seccomp_filters"), Some("1"));
        assert_eq!(status_field(status, "CapBnd"), None);
    }
}
