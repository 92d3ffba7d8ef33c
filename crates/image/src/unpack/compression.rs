//! Detecting a layer's compression by its magic bytes.

use std::io::{self, BufReader, Read};

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];
/// Bytes read from the (compressed) layer stream at a time.
const READ_BUFFER: usize = 256 * 1024;

/// The compression of a layer stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Compression {
    None,
    Gzip,
    Zstd,
}

/// Which compression `head` (the first bytes of a stream) starts with.
pub(super) fn detect(head: &[u8]) -> Compression {
    if head.starts_with(&GZIP_MAGIC) {
        Compression::Gzip
    } else if head.starts_with(&ZSTD_MAGIC) {
        Compression::Zstd
    } else {
        Compression::None
    }
}

/// Wraps `reader` in the decoder its first bytes call for.
pub(crate) fn decompress<'a>(mut reader: impl Read + 'a) -> io::Result<Box<dyn Read + 'a>> {
    // Read the magic with a loop: a single read may return fewer bytes.
    let mut head = [0u8; ZSTD_MAGIC.len()];
    let mut filled = 0;
    while filled < head.len() {
        match reader.read(&mut head[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let compression = detect(&head[..filled]);
    // Put the magic back in front of the rest of the stream.
    // A large buffer: every read is a syscall, and layers are megabytes.
    let whole = BufReader::with_capacity(READ_BUFFER, io::Cursor::new(head[..filled].to_vec()).chain(reader));
    Ok(match compression {
        Compression::None => Box::new(whole),
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(whole)),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(whole)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_by_magic() {
        assert_eq!(detect(&[0x1f, 0x8b, 8, 0]), Compression::Gzip);
        assert_eq!(detect(&ZSTD_MAGIC), Compression::Zstd);
        assert_eq!(detect(b"usr/"), Compression::None);
        assert_eq!(detect(b""), Compression::None);
    }

    #[test]
    fn plain_stream_is_passed_through_whole() {
        let mut out = Vec::new();
        decompress(&b"hello world"[..]).unwrap().read_to_end(&mut out).unwrap();
        assert_eq!(out, b"hello world");
    }
}
