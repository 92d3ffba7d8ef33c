//! Copying a container's output pipes into one sink, one reader thread per
//! pipe: the portable way for monitors on hosts without a single `poll`
//! over pipes (Windows' anonymous pipes have none). Linux's monitor polls
//! instead (`cove-backend-linux`'s `monitor_io`).

use std::io::Read;
use std::sync::mpsc;

/// Which stream a chunk of output came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    /// fd 1.
    Stdout,
    /// fd 2.
    Stderr,
}

/// Reads every pipe until end-of-file (or an error) and hands each chunk to
/// `sink` on the calling thread, in the order the chunks arrived.
pub fn pump(pipes: Vec<(Box<dyn Read + Send>, Stream)>, sink: &mut dyn FnMut(Stream, &[u8])) {
    let (tx, rx) = mpsc::sync_channel::<(Stream, Vec<u8>)>(16);
    let mut readers = Vec::new();
    for (mut pipe, stream) in pipes {
        let tx = tx.clone();
        let spawned = std::thread::Builder::new().name("pipe".into()).stack_size(64 * 1024).spawn(move || {
            let mut buf = vec![0u8; 8192];
            loop {
                match pipe.read(&mut buf) {
                    Ok(0) => return,
                    Ok(n) => {
                        if tx.send((stream, buf[..n].to_vec())).is_err() {
                            return;
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(_) => return,
                }
            }
        });
        // A pipe no thread reads is lost output, never a hang.
        readers.extend(spawned.ok());
    }
    drop(tx);
    for (stream, chunk) in rx {
        sink(stream, &chunk);
    }
    for r in readers {
        let _ = r.join();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_pipes_reach_the_sink_in_full() {
        let out: Box<dyn Read + Send> = Box::new(std::io::Cursor::new(vec![b'o'; 20_000]));
        let err: Box<dyn Read + Send> = Box::new(std::io::Cursor::new(b"e1\ne2\n".to_vec()));
        let (mut o, mut e) = (Vec::new(), Vec::new());
        pump(vec![(out, Stream::Stdout), (err, Stream::Stderr)], &mut |s, b| match s {
            Stream::Stdout => o.extend_from_slice(b),
            Stream::Stderr => e.extend_from_slice(b),
        });
        assert_eq!(o, vec![b'o'; 20_000]);
        assert_eq!(e, b"e1\ne2\n");
    }
}
