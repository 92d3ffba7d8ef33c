//! The libproc calls of the stored-container path (start times, a process
//! group's members and their task counters), the only `unsafe` in this
//! crate; macOS only.

use std::mem::size_of;

/// The start time of `pid` in microseconds since the epoch (`None`: no
/// such process, or a zombie).
pub fn start_time(pid: i32) -> Option<u64> {
    // SAFETY: a plain C struct of integers; all-zero is a valid value.
    let mut info: libc::proc_bsdinfo = unsafe { std::mem::zeroed() };
    let size = size_of::<libc::proc_bsdinfo>() as i32;
    // SAFETY: `info` is writable and `size` bytes long.
    let n = unsafe { libc::proc_pidinfo(pid, libc::PROC_PIDTBSDINFO, 0, (&raw mut info).cast(), size) };
    if n != size || info.pbi_status == libc::SZOMB {
        return None;
    }
    Some(info.pbi_start_tvsec * 1_000_000 + info.pbi_start_tvusec)
}

/// The pids in process group `pgid`.
pub fn group_members(pgid: i32) -> Vec<i32> {
    let mut pids = vec![0i32; 1024];
    let bytes = (pids.len() * size_of::<i32>()) as i32;
    // SAFETY: `pids` is writable and `bytes` long.
    let n = unsafe { libc::proc_listpgrppids(pgid, pids.as_mut_ptr().cast(), bytes) };
    pids.truncate(usize::try_from(n).unwrap_or(0) / size_of::<i32>());
    pids.retain(|&p| p > 0);
    pids
}

/// Resident memory (bytes), user plus system CPU time (nanoseconds) and
/// threads of `pid`.
pub fn task_counters(pid: i32) -> Option<(u64, u64, u64)> {
    // SAFETY: a plain C struct of integers; all-zero is a valid value.
    let mut info: libc::proc_taskinfo = unsafe { std::mem::zeroed() };
    let size = size_of::<libc::proc_taskinfo>() as i32;
    // SAFETY: `info` is writable and `size` bytes long.
    let n = unsafe { libc::proc_pidinfo(pid, libc::PROC_PIDTASKINFO, 0, (&raw mut info).cast(), size) };
    if n != size {
        return None;
    }
    let (numer, denom) = timebase();
    let ticks = info.pti_total_user + info.pti_total_system;
    let cpu_ns = (u128::from(ticks) * u128::from(numer) / u128::from(denom.max(1))) as u64;
    Some((info.pti_resident_size, cpu_ns, u64::try_from(info.pti_threadnum).unwrap_or(1)))
}

/// Mach time units per nanosecond (`pti_total_*` count Mach ticks: 1:1 on
/// Intel, 125:3 on Apple silicon). libc marks the Mach calls deprecated in
/// favour of the `mach2` crate; this one call does not warrant it.
#[allow(deprecated)]
fn timebase() -> (u32, u32) {
    let mut tb = libc::mach_timebase_info { numer: 0, denom: 0 };
    // SAFETY: `tb` is writable; the call only fills it in.
    let ok = unsafe { libc::mach_timebase_info(&mut tb) } == 0;
    if ok && tb.denom != 0 { (tb.numer, tb.denom) } else { (1, 1) }
}

/// The machine's physical memory in bytes (`hw.memsize`), 0 if unknown.
pub fn physical_memory() -> u64 {
    let mut value = 0u64;
    let mut len = size_of::<u64>();
    // SAFETY: a NUL-terminated name; `value` is writable and `len` long.
    let ok = unsafe {
        libc::sysctlbyname(c"hw.memsize".as_ptr(), (&raw mut value).cast(), &mut len, std::ptr::null_mut(), 0)
    } == 0;
    if ok { value } else { 0 }
}
