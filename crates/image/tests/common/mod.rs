//! Builds layer tarballs in code, including hostile ones the `tar` crate's
//! own path setters would refuse to write.

// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};

use tar::{EntryType, Header};

/// A layer under construction.
pub struct Layer {
    builder: tar::Builder<Vec<u8>>,
}

impl Layer {
    pub fn new() -> Self {
        Layer { builder: tar::Builder::new(Vec::new()) }
    }

    /// Appends an entry with `name` and `link` written byte for byte.
    pub fn raw(&mut self, name: &str, kind: EntryType, link: Option<&str>, mode: u32, data: &[u8]) -> &mut Self {
        let mut h = Header::new_gnu();
        h.set_entry_type(kind);
        h.set_size(data.len() as u64);
        h.set_mode(mode);
        h.set_mtime(1_600_000_000);
        h.set_uid(0);
        h.set_gid(0);
        let old = h.as_old_mut();
        old.name[..name.len()].copy_from_slice(name.as_bytes());
        if let Some(link) = link {
            old.linkname[..link.len()].copy_from_slice(link.as_bytes());
        }
        h.set_cksum();
        self.builder.append(&h, data).unwrap();
        self
    }

    pub fn file(&mut self, name: &str, data: &[u8]) -> &mut Self {
        self.raw(name, EntryType::Regular, None, 0o644, data)
    }

    pub fn dir(&mut self, name: &str) -> &mut Self {
        self.raw(name, EntryType::Directory, None, 0o755, b"")
    }

    pub fn symlink(&mut self, name: &str, target: &str) -> &mut Self {
        self.raw(name, EntryType::Symlink, Some(target), 0o777, b"")
    }

    pub fn hardlink(&mut self, name: &str, target: &str) -> &mut Self {
        self.raw(name, EntryType::Link, Some(target), 0o644, b"")
    }

    /// Appends a header the caller has prepared (for ownership, modes …).
    pub fn with_header(&mut self, name: &str, mut h: Header, data: &[u8]) -> &mut Self {
        h.set_size(data.len() as u64);
        h.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
        h.set_cksum();
        self.builder.append(&h, data).unwrap();
        self
    }

    pub fn tar(&mut self) -> Vec<u8> {
        let builder = std::mem::replace(&mut self.builder, tar::Builder::new(Vec::new()));
        builder.into_inner().unwrap()
    }

    pub fn gzip(&mut self) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(&self.tar()).unwrap();
        enc.finish().unwrap()
    }

    pub fn zstd(&mut self) -> Vec<u8> {
        zstd::encode_all(&self.tar()[..], 0).unwrap()
    }
}

/// A temp dir with `root/` (the unpack target) and `outside/` beside it,
/// holding one file the tests check is never touched.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("root")).unwrap();
        std::fs::create_dir(dir.path().join("outside")).unwrap();
        std::fs::write(dir.path().join("outside/victim"), b"untouched").unwrap();
        Sandbox { dir }
    }

    pub fn root(&self) -> PathBuf {
        self.dir.path().join("root")
    }

    pub fn outside(&self) -> PathBuf {
        self.dir.path().join("outside")
    }

    /// Every path in the sandbox outside `root/`, for before/after comparison.
    pub fn outside_listing(&self) -> Vec<PathBuf> {
        let mut out = Vec::new();
        walk(self.dir.path(), &self.root(), &mut out);
        out.sort();
        out
    }

    pub fn assert_outside_untouched(&self, before: &[PathBuf]) {
        assert_eq!(self.outside_listing(), before, "something was written outside the root");
        assert_eq!(std::fs::read(self.outside().join("victim")).unwrap(), b"untouched");
    }
}

fn walk(dir: &Path, skip: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p == skip {
            continue;
        }
        out.push(p.clone());
        if std::fs::symlink_metadata(&p).unwrap().is_dir() {
            walk(&p, skip, out);
        }
    }
}
