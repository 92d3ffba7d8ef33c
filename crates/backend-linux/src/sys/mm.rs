//! Memory advice for cove's own process: the monitor gives back what it
//! needed only to start its container (`monitor_io::release_startup_memory`).

use std::io;

/// Unmaps the resident pages of `[start, start + len)` (`MADV_DONTNEED`,
/// madvise(2)); the next access maps them again from the page cache.
///
/// The caller passes only a read-only, file-backed private range that
/// holds no anonymous (copied-on-write) page: its contents are exactly
/// the file's, so dropping them changes nothing a reader can see.
pub fn drop_file_pages(start: usize, len: usize) -> io::Result<()> {
    // SAFETY: for a private file mapping MADV_DONTNEED discards only
    // this process's page-table entries; pages never written are re-read
    // from the file, identical. The caller guarantees the range is not
    // writable and holds no anonymous page (checked in /proc/self/smaps,
    // and nothing can write a read-only mapping), so no value Rust holds
    // changes. The kernel fails with EINVAL/ENOMEM for anything not mapped.
    let r = unsafe { libc::madvise(start as *mut libc::c_void, len, libc::MADV_DONTNEED) };
    if r == 0 { Ok(()) } else { Err(io::Error::last_os_error()) }
}

/// Returns the free memory at the top of glibc's heaps to the kernel
/// (malloc_trim(3)).
pub fn trim_heap() {
    // SAFETY: malloc_trim only releases memory the allocator holds free;
    // it is thread-safe (takes the arenas' locks) and touches no live
    // allocation.
    unsafe {
        libc::malloc_trim(0);
    }
}
