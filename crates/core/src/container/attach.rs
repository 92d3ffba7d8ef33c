//! The attach protocol between `cove attach` (or `start -a`) and a
//! container's monitor, over the monitor's unix socket: typed frames, each
//! one kind byte, a big-endian `u32` length and that many payload bytes.
//! Also Docker's `--detach-keys` syntax and the matcher the client runs
//! over its input.
//!
//! Pure: the sockets, threads and terminals are the caller's.

use std::io::{self, Read, Write};

/// The largest payload a frame may carry (a peer sending more is cut off).
pub const MAX_PAYLOAD: usize = 1 << 20;

/// One message on an attach connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Frame {
    /// Client → monitor: bytes for the container's stdin.
    Stdin(Vec<u8>),
    /// Client → monitor: the client's input ended.
    StdinClose,
    /// Client → monitor: the client's terminal size.
    Resize {
        /// Lines.
        rows: u16,
        /// Columns.
        cols: u16,
    },
    /// Monitor → client: output the container wrote to stdout (or its pty).
    Stdout(Vec<u8>),
    /// Monitor → client: output the container wrote to stderr.
    Stderr(Vec<u8>),
    /// Monitor → client, last: the container ended for good with this code.
    Exit(i32),
}

impl Frame {
    fn kind(&self) -> u8 {
        match self {
            Frame::Stdin(_) => 1,
            Frame::StdinClose => 2,
            Frame::Resize { .. } => 3,
            Frame::Stdout(_) => 4,
            Frame::Stderr(_) => 5,
            Frame::Exit(_) => 6,
        }
    }

    /// The frame as bytes on the wire.
    pub fn encode(&self) -> Vec<u8> {
        let payload: Vec<u8> = match self {
            Frame::Stdin(b) | Frame::Stdout(b) | Frame::Stderr(b) => b.clone(),
            Frame::StdinClose => Vec::new(),
            Frame::Resize { rows, cols } => [rows.to_be_bytes(), cols.to_be_bytes()].concat(),
            Frame::Exit(code) => code.to_be_bytes().to_vec(),
        };
        let mut out = Vec::with_capacity(5 + payload.len());
        out.push(self.kind());
        out.extend_from_slice(&(payload.len() as u32).to_be_bytes());
        out.extend_from_slice(&payload);
        out
    }

    /// Writes the frame to `w`.
    pub fn write_to(&self, w: &mut impl Write) -> io::Result<()> {
        w.write_all(&self.encode())
    }

    /// Reads one frame; `None` at a clean end of the stream.
    pub fn read_from(r: &mut impl Read) -> io::Result<Option<Frame>> {
        let mut head = [0u8; 5];
        match r.read_exact(&mut head[..1]) {
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
            other => other?,
        }
        r.read_exact(&mut head[1..])?;
        let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
        if len > MAX_PAYLOAD {
            return Err(invalid(format!("attach frame of {len} bytes (at most {MAX_PAYLOAD})")));
        }
        let mut payload = vec![0u8; len];
        r.read_exact(&mut payload)?;
        Frame::decode(head[0], payload).map(Some)
    }

    fn decode(kind: u8, payload: Vec<u8>) -> io::Result<Frame> {
        Ok(match kind {
            1 => Frame::Stdin(payload),
            2 => Frame::StdinClose,
            3 if payload.len() == 4 => Frame::Resize {
                rows: u16::from_be_bytes([payload[0], payload[1]]),
                cols: u16::from_be_bytes([payload[2], payload[3]]),
            },
            4 => Frame::Stdout(payload),
            5 => Frame::Stderr(payload),
            6 if payload.len() == 4 => {
                Frame::Exit(i32::from_be_bytes([payload[0], payload[1], payload[2], payload[3]]))
            }
            _ => return Err(invalid(format!("attach frame of kind {kind} and {} bytes", payload.len()))),
        })
    }
}

/// Accumulates bytes read from a non-blocking socket into whole frames.
#[derive(Default)]
pub struct Decoder {
    buf: Vec<u8>,
}

impl Decoder {
    /// Adds bytes; returns the frames completed so far, or an error for a
    /// malformed or oversized frame.
    pub fn push(&mut self, bytes: &[u8]) -> io::Result<Vec<Frame>> {
        self.buf.extend_from_slice(bytes);
        let mut frames = Vec::new();
        loop {
            if self.buf.len() < 5 {
                break;
            }
            let len = u32::from_be_bytes([self.buf[1], self.buf[2], self.buf[3], self.buf[4]]) as usize;
            if len > MAX_PAYLOAD {
                return Err(invalid(format!("attach frame of {len} bytes (at most {MAX_PAYLOAD})")));
            }
            if self.buf.len() < 5 + len {
                break;
            }
            let payload = self.buf[5..5 + len].to_vec();
            let kind = self.buf[0];
            self.buf.drain(..5 + len);
            frames.push(Frame::decode(kind, payload)?);
        }
        Ok(frames)
    }
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

/// Docker's default `--detach-keys`: ctrl-p, ctrl-q.
pub const DEFAULT_DETACH_KEYS: &str = "ctrl-p,ctrl-q";

/// Parses Docker's `--detach-keys` (comma-separated `a`-like single
/// characters and `ctrl-X` for X in `a-z`, `@`, `[`, `\`, `]`, `^`, `_`).
pub fn parse_detach_keys(s: &str) -> Result<Vec<u8>, String> {
    s.split(',')
        .map(|key| {
            let key = key.trim();
            if let Some(c) = key.strip_prefix("ctrl-") {
                let c = c.to_ascii_lowercase();
                return match c.as_bytes() {
                    [b @ b'a'..=b'z'] => Ok(b - b'a' + 1),
                    [b'@'] => Ok(0),
                    [b @ (b'[' | b'\\' | b']' | b'^' | b'_')] => Ok(b - b'@'),
                    _ => Err(format!("invalid detach key {key:?}: ctrl- takes a-z, @, [, \\, ], ^ or _")),
                };
            }
            match key.as_bytes() {
                [b] if b.is_ascii() && !b.is_ascii_control() => Ok(*b),
                _ => Err(format!("invalid detach key {key:?}: a single character or ctrl-X")),
            }
        })
        .collect()
}

/// Finds the detach sequence in a stream of input, holding back a
/// partial match (Docker's behaviour: the held keys are sent once the
/// next key does not continue the sequence).
pub struct DetachMatcher {
    keys: Vec<u8>,
    held: usize,
}

/// What to do with a chunk of input.
#[derive(Debug, PartialEq, Eq)]
pub enum Scan {
    /// Forward these bytes (possibly none).
    Forward(Vec<u8>),
    /// The sequence was typed: forward these bytes first, then detach.
    Detach(Vec<u8>),
}

impl DetachMatcher {
    /// A matcher for `keys` (empty: never detaches).
    pub fn new(keys: Vec<u8>) -> Self {
        DetachMatcher { keys, held: 0 }
    }

    /// Scans `input`.
    pub fn scan(&mut self, input: &[u8]) -> Scan {
        let mut out = Vec::with_capacity(input.len());
        for &b in input {
            if self.keys.is_empty() {
                out.push(b);
                continue;
            }
            if b == self.keys[self.held] {
                self.held += 1;
                if self.held == self.keys.len() {
                    self.held = 0;
                    return Scan::Detach(out);
                }
                continue;
            }
            out.extend_from_slice(&self.keys[..self.held]);
            self.held = 0;
            if b == self.keys[0] {
                self.held = 1;
                if self.keys.len() == 1 {
                    self.held = 0;
                    return Scan::Detach(out);
                }
            } else {
                out.push(b);
            }
        }
        Scan::Forward(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_through_stream_and_decoder() {
        let frames = vec![
            Frame::Stdin(b"hello".to_vec()),
            Frame::StdinClose,
            Frame::Resize { rows: 24, cols: 80 },
            Frame::Stdout(vec![0, 1, 2]),
            Frame::Stderr(Vec::new()),
            Frame::Exit(-1),
        ];
        let wire: Vec<u8> = frames.iter().flat_map(Frame::encode).collect();
        let mut r = &wire[..];
        let mut read = Vec::new();
        while let Some(f) = Frame::read_from(&mut r).unwrap() {
            read.push(f);
        }
        assert_eq!(read, frames);
        let mut d = Decoder::default();
        let mut got = Vec::new();
        for chunk in wire.chunks(3) {
            got.extend(d.push(chunk).unwrap());
        }
        assert_eq!(got, frames);
    }

    #[test]
    fn oversized_and_unknown_frames_are_refused() {
        let mut big = vec![1u8];
        big.extend_from_slice(&((MAX_PAYLOAD as u32) + 1).to_be_bytes());
        assert!(Decoder::default().push(&big).is_err());
        assert!(Frame::read_from(&mut &big[..]).is_err());
        assert!(Decoder::default().push(&[9, 0, 0, 0, 0]).is_err());
        assert!(Decoder::default().push(&[3, 0, 0, 0, 1, 7]).is_err());
    }

    #[test]
    fn detach_keys_parse_as_docker() {
        assert_eq!(parse_detach_keys(DEFAULT_DETACH_KEYS).unwrap(), vec![0x10, 0x11]);
        assert_eq!(parse_detach_keys("a,ctrl-@,ctrl-_").unwrap(), vec![b'a', 0, 0x1f]);
        assert!(parse_detach_keys("ctrl-1").is_err());
        assert!(parse_detach_keys("ab").is_err());
    }

    #[test]
    fn matcher_holds_a_partial_sequence_and_detaches_on_the_whole() {
        let mut m = DetachMatcher::new(vec![0x10, 0x11]);
        assert_eq!(m.scan(b"ab\x10"), Scan::Forward(b"ab".to_vec()));
        assert_eq!(m.scan(b"c"), Scan::Forward(b"\x10c".to_vec()));
        assert_eq!(m.scan(b"x\x10\x10"), Scan::Forward(b"x\x10".to_vec()));
        assert_eq!(m.scan(b"\x11rest"), Scan::Detach(Vec::new()));
        let mut never = DetachMatcher::new(Vec::new());
        assert_eq!(never.scan(b"\x10\x11"), Scan::Forward(b"\x10\x11".to_vec()));
    }
}
