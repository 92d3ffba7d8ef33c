//! Blob store behaviour: verified puts, corruption, truncation, races, temp cleanup.

use std::fs;
use std::io::{self, Read};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

use cove_image::{BlobStore, Digest, PutOutcome, StoreError};

fn store() -> (tempfile::TempDir, BlobStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = BlobStore::open(dir.path().join("store")).unwrap();
    (dir, store)
}

fn temps(store: &BlobStore, digest: &Digest) -> Vec<String> {
    let dir = store.path(digest).parent().unwrap().to_owned();
    fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect()
}

#[test]
fn good_blob_is_stored_and_verifies() {
    let (_dir, store) = store();
    let data = b"layer bytes".repeat(1000);
    let digest = Digest::sha256_of(&data);
    let outcome = store.put(&mut &data[..], &digest, Some(data.len() as u64)).unwrap();
    assert_eq!(outcome, PutOutcome::Stored(data.len() as u64));
    assert!(store.path(&digest).ends_with(format!("blobs/sha256/{}", digest.hex())));
    assert_eq!(fs::read(store.path(&digest)).unwrap(), data);
    assert_eq!(store.verify(&digest).unwrap(), data.len() as u64);
    let mut back = Vec::new();
    store.open_blob(&digest).unwrap().read_to_end(&mut back).unwrap();
    assert_eq!(back, data);
    assert_eq!(temps(&store, &digest), vec![digest.hex().to_owned()]);
}

#[test]
fn corrupt_blob_is_refused_and_leaves_nothing() {
    let (_dir, store) = store();
    let expected = Digest::sha256_of(b"the real content");
    let err = store.put(&mut &b"something else"[..], &expected, None).unwrap_err();
    match &err {
        StoreError::DigestMismatch { expected: e, got } => {
            assert_eq!(e, &expected);
            assert_eq!(got, &Digest::sha256_of(b"something else"));
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(err.to_string().contains(expected.hex()), "{err}");
    assert!(!store.contains(&expected));
    assert!(temps(&store, &expected).is_empty());
}

/// Yields some bytes, then fails, like a dropped connection.
struct Truncated(&'static [u8]);

impl Read for Truncated {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.0.is_empty() {
            return Err(io::Error::new(io::ErrorKind::ConnectionReset, "connection dropped"));
        }
        let n = self.0.len().min(buf.len());
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

#[test]
fn truncated_stream_never_becomes_a_blob() {
    let (_dir, store) = store();
    let digest = Digest::sha256_of(b"full content here");
    let err = store.put(&mut Truncated(b"full con"), &digest, None).unwrap_err();
    assert!(matches!(err, StoreError::Write { .. }), "{err:?}");
    assert!(!store.contains(&digest));
    // A stream that just ends early fails on size before the digest.
    let err = store.put(&mut &b"full con"[..], &digest, Some(17)).unwrap_err();
    assert!(matches!(err, StoreError::SizeMismatch { expected: 17, got: 8, .. }), "{err:?}");
    assert!(temps(&store, &digest).is_empty());
}

#[test]
fn concurrent_puts_of_one_blob_both_succeed_with_one_file() {
    let (_dir, store) = store();
    let data: Arc<Vec<u8>> = Arc::new((0..2_000_000u32).map(|i| (i % 251) as u8).collect());
    let digest = Digest::sha256_of(&data);
    let barrier = Arc::new(Barrier::new(2));
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let (store, data, digest, barrier) = (store.clone(), data.clone(), digest.clone(), barrier.clone());
            thread::spawn(move || {
                barrier.wait();
                store.put(&mut &data[..], &digest, Some(data.len() as u64))
            })
        })
        .collect();
    for h in handles {
        let outcome = h.join().unwrap().unwrap();
        assert!(matches!(outcome, PutOutcome::Stored(_) | PutOutcome::AlreadyPresent), "{outcome:?}");
    }
    assert_eq!(temps(&store, &digest), vec![digest.hex().to_owned()]);
    assert_eq!(store.verify(&digest).unwrap(), data.len() as u64);
}

#[test]
fn existing_blob_is_not_rewritten() {
    let (_dir, store) = store();
    let digest = Digest::sha256_of(b"abc");
    store.put(&mut &b"abc"[..], &digest, None).unwrap();
    let before = fs::metadata(store.path(&digest)).unwrap().modified().unwrap();
    let mut reader = Truncated(b"");
    // The reader would fail if it were read at all.
    assert_eq!(store.put(&mut reader, &digest, None).unwrap(), PutOutcome::AlreadyPresent);
    assert_eq!(fs::metadata(store.path(&digest)).unwrap().modified().unwrap(), before);
}

#[test]
fn verify_detects_corruption_on_disk() {
    let (_dir, store) = store();
    let digest = Digest::sha256_of(b"abc");
    store.put(&mut &b"abc"[..], &digest, None).unwrap();
    fs::write(store.path(&digest), b"abd").unwrap();
    assert!(matches!(store.verify(&digest), Err(StoreError::DigestMismatch { .. })));
    let missing = Digest::sha256_of(b"never stored");
    assert!(matches!(store.verify(&missing), Err(StoreError::Read { .. })));
}

#[test]
fn interrupted_write_is_not_a_blob_and_gc_removes_it() {
    let (_dir, store) = store();
    let digest = Digest::sha256_of(b"abc");
    // What a crash mid-put leaves behind.
    let temp = store.path(&digest).with_file_name(format!(".tmp-{}-1-0", digest.hex()));
    fs::write(&temp, b"ab").unwrap();
    assert!(!store.contains(&digest));
    assert!(store.open_blob(&digest).is_err());
    assert_eq!(store.gc_temp(Duration::from_secs(3600)).unwrap(), 0, "fresh temps are kept");
    assert_eq!(store.gc_temp(Duration::ZERO).unwrap(), 1);
    assert!(!temp.exists());
    // The store still works for the same digest afterwards.
    assert_eq!(store.put(&mut &b"abc"[..], &digest, None).unwrap(), PutOutcome::Stored(3));
}

#[test]
fn adopt_publishes_only_a_matching_file() {
    let (_dir, store) = store();
    let data = b"downloaded elsewhere".repeat(100);
    let digest = Digest::sha256_of(&data);
    let partial = store.path(&digest).with_file_name(format!(".partial-{}", digest.hex()));
    fs::write(&partial, &data[..data.len() - 1]).unwrap();
    let short = store.adopt(&partial, &digest, Some(data.len() as u64));
    assert!(matches!(short, Err(StoreError::SizeMismatch { .. })), "{short:?}");
    let mut wrong = data.clone();
    wrong[0] ^= 1;
    fs::write(&partial, &wrong).unwrap();
    let bad = store.adopt(&partial, &digest, None);
    assert!(matches!(bad, Err(StoreError::DigestMismatch { .. })), "{bad:?}");
    assert!(!store.contains(&digest), "a mismatching file was published");
    fs::write(&partial, &data).unwrap();
    assert_eq!(store.adopt(&partial, &digest, Some(data.len() as u64)).unwrap(), PutOutcome::Stored(data.len() as u64));
    assert_eq!(fs::read(store.path(&digest)).unwrap(), data);
    assert_eq!(store.adopt(&partial, &digest, None).unwrap(), PutOutcome::AlreadyPresent);
}
