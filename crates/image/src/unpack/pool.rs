//! Writing small regular files of one layer on a few threads while the
//! archive is read on the caller's: creating a file is the slow step of an
//! unpack (hundreds of microseconds each on a busy host), and the tar
//! stream itself can only be read in order.
//!
//! Safety: a worker only ever creates a new regular file (`O_EXCL`) in a
//! parent the reading thread has already checked and made. Anything that
//! could change what a pending path resolves to waits for the workers to
//! finish first ([`Pool::drain`], see `State::settle`): whiteouts,
//! hardlinks, any entry at a path that exists or is pending, and any entry
//! below a pending path. Errors are reported at the next drain.

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Condvar, Mutex};

use super::UnpackError;
use super::entries::{self, Meta};
use super::xattrs::Xattrs;

/// Files up to this size go to the workers (larger ones are written by
/// the reading thread, which holds no copy in memory).
pub(super) const SMALL: u64 = 1 << 20;
/// Worker threads per layer.
pub(super) const WORKERS: usize = 4;

/// One file for a worker.
pub(super) struct Job {
    pub host: PathBuf,
    pub data: Vec<u8>,
    pub meta: Meta,
    pub owner: bool,
    pub attrs: Xattrs,
}

#[derive(Default)]
struct Progress {
    done: usize,
    error: Option<UnpackError>,
    xattrs_refused: u64,
}

type Shared = Arc<(Mutex<Progress>, Condvar)>;

/// The workers of one unpack.
pub(super) struct Pool {
    tx: Option<SyncSender<Job>>,
    shared: Shared,
    sent: usize,
}

impl Pool {
    /// Starts the workers in `scope`.
    pub(super) fn start<'s>(scope: &'s std::thread::Scope<'s, '_>) -> Pool {
        let (tx, rx) = sync_channel::<Job>(WORKERS * 8);
        let rx = Arc::new(Mutex::new(rx));
        let shared: Shared = Arc::default();
        for _ in 0..WORKERS {
            let (rx, shared) = (Arc::clone(&rx), Arc::clone(&shared));
            scope.spawn(move || work(&rx, &shared));
        }
        Pool { tx: Some(tx), shared, sent: 0 }
    }

    /// Queues a file.
    pub(super) fn send(&mut self, job: Job) {
        if let Some(tx) = &self.tx
            && tx.send(job).is_ok()
        {
            self.sent += 1;
        }
    }

    /// Waits until every queued file is written; returns the first error
    /// and adds the refused xattrs to `xattrs`.
    pub(super) fn drain(&mut self, xattrs: &mut u64) -> Result<(), UnpackError> {
        let (lock, cvar) = &*self.shared;
        let mut p = lock.lock().expect("pool lock");
        while p.done < self.sent {
            p = cvar.wait(p).expect("pool lock");
        }
        *xattrs += std::mem::take(&mut p.xattrs_refused);
        p.error.take().map_or(Ok(()), Err)
    }

    /// Ends the workers (after [`Pool::drain`]).
    pub(super) fn stop(&mut self) {
        self.tx = None;
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        // The workers end when the channel closes (the scope joins them).
        self.tx = None;
    }
}

fn work(rx: &Mutex<Receiver<Job>>, shared: &Shared) {
    loop {
        let job = match rx.lock().expect("pool receiver").recv() {
            Ok(job) => job,
            Err(_) => return,
        };
        let result = entries::write_file(&job.host, &mut &job.data[..], &job.meta, job.owner, &job.attrs);
        let (lock, cvar) = &**shared;
        let mut p = lock.lock().expect("pool lock");
        p.done += 1;
        match result {
            Ok(refused) => p.xattrs_refused += refused,
            Err(e) => {
                p.error.get_or_insert(e);
            }
        }
        cvar.notify_all();
    }
}
