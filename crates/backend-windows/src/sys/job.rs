//! Job Objects: a named job per container with its limits, processes
//! assigned to it, accounting read back. The handle's drop closes it, and
//! with kill-on-close that ends every process in the job.

use super::{check, owned, wide};
use crate::job::{CPU_RATE_ENABLE, CPU_RATE_HARD_CAP, JobLimits};
use std::os::windows::io::{AsRawHandle, OwnedHandle};
use windows_sys::Win32::Foundation::{ERROR_ALREADY_EXISTS, GetLastError};
use windows_sys::Win32::System::JobObjects::{
    AssignProcessToJobObject, CreateJobObjectW, JOBOBJECT_BASIC_AND_IO_ACCOUNTING_INFORMATION,
    JOBOBJECT_CPU_RATE_CONTROL_INFORMATION, JOBOBJECT_EXTENDED_LIMIT_INFORMATION, JobObjectBasicAccountingInformation,
    JobObjectBasicAndIoAccountingInformation, JobObjectBasicProcessIdList, JobObjectCpuRateControlInformation,
    JobObjectExtendedLimitInformation, OpenJobObjectW, QueryInformationJobObject, SetInformationJobObject,
    TerminateJobObject,
};

/// `JOB_OBJECT_ASSIGN_PROCESS | JOB_OBJECT_QUERY | JOB_OBJECT_TERMINATE`
/// (winnt.h; not in the features this crate enables).
const OPEN_RIGHTS: u32 = 0x1 | 0x4 | 0x8;

/// A job object this process holds open.
#[derive(Debug)]
pub struct Job(OwnedHandle);

/// What the job has counted so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Accounting {
    /// Processes ever in the job.
    pub total_processes: u32,
    /// Processes in it now.
    pub active_processes: u32,
    /// User plus kernel CPU time, in 100 ns units.
    pub cpu_time: i64,
    /// Bytes read by its processes (all I/O, not only disks).
    pub read_bytes: u64,
    /// Bytes written by its processes.
    pub write_bytes: u64,
}

impl Job {
    /// Creates the job `name` (`None`: unnamed) with `limits`. An existing
    /// job of that name is an error, never joined.
    pub fn create(name: Option<&str>, limits: &JobLimits) -> std::io::Result<Job> {
        let w = name.map(wide);
        let ptr = w.as_ref().map_or(std::ptr::null(), |w| w.as_ptr());
        // SAFETY: default security, and a NUL-terminated name or NULL.
        let h = unsafe { CreateJobObjectW(std::ptr::null(), ptr) };
        // SAFETY: reads this thread's last error, set by the call above.
        let existed = unsafe { GetLastError() } == ERROR_ALREADY_EXISTS;
        let job = Job(owned(h)?);
        if existed {
            return Err(std::io::Error::from_raw_os_error(ERROR_ALREADY_EXISTS as i32));
        }
        job.set_limits(limits)?;
        Ok(job)
    }

    /// Opens the existing job `name` (a container's, from another cove
    /// process): assign, query and terminate rights. Opening adds a handle,
    /// so the job (and its processes) live until this one closes too.
    pub fn open(name: &str) -> std::io::Result<Job> {
        let w = wide(name);
        // SAFETY: a NUL-terminated name; the handle is not inheritable.
        Ok(Job(owned(unsafe { OpenJobObjectW(OPEN_RIGHTS, 0, w.as_ptr()) })?))
    }

    /// Ends every process in the job with exit code `code`.
    pub fn terminate(&self, code: u32) -> std::io::Result<()> {
        // SAFETY: a valid job handle.
        check(unsafe { TerminateJobObject(self.raw(), code) })
    }

    /// The ids of the processes in the job now (at most 256 listed).
    pub fn process_ids(&self) -> std::io::Result<Vec<u32>> {
        const MAX: usize = 256;
        // Header (two u32) followed by MAX ULONG_PTR ids, as usize words.
        let mut buf = vec![0usize; 1 + MAX];
        // SAFETY: a valid job handle and a writable buffer of the given size.
        check(unsafe {
            QueryInformationJobObject(
                self.raw(),
                JobObjectBasicProcessIdList,
                buf.as_mut_ptr().cast(),
                size_of_val(buf.as_slice()) as u32,
                std::ptr::null_mut(),
            )
        })?;
        // SAFETY: the buffer starts with the documented header of two u32s.
        let listed = unsafe { *buf.as_ptr().cast::<u32>().add(1) } as usize;
        Ok(buf[1..=listed.min(MAX)].iter().map(|&p| p as u32).collect())
    }

    fn set_limits(&self, limits: &JobLimits) -> std::io::Result<()> {
        let mut info = JOBOBJECT_EXTENDED_LIMIT_INFORMATION::default();
        info.BasicLimitInformation.LimitFlags = limits.flags;
        info.BasicLimitInformation.ActiveProcessLimit = limits.active_processes;
        info.JobMemoryLimit = usize::try_from(limits.job_memory).unwrap_or(usize::MAX);
        // SAFETY: a valid job handle and a struct of the class's exact size.
        check(unsafe {
            SetInformationJobObject(
                self.raw(),
                JobObjectExtendedLimitInformation,
                (&raw const info).cast(),
                size_of::<JOBOBJECT_EXTENDED_LIMIT_INFORMATION>() as u32,
            )
        })?;
        if let Some(rate) = limits.cpu_rate {
            let mut cpu = JOBOBJECT_CPU_RATE_CONTROL_INFORMATION {
                ControlFlags: CPU_RATE_ENABLE | CPU_RATE_HARD_CAP,
                ..Default::default()
            };
            cpu.Anonymous.CpuRate = rate;
            // SAFETY: as above, for the CPU rate class.
            check(unsafe {
                SetInformationJobObject(
                    self.raw(),
                    JobObjectCpuRateControlInformation,
                    (&raw const cpu).cast(),
                    size_of::<JOBOBJECT_CPU_RATE_CONTROL_INFORMATION>() as u32,
                )
            })?;
        }
        Ok(())
    }

    fn raw(&self) -> windows_sys::Win32::Foundation::HANDLE {
        self.0.as_raw_handle()
    }

    /// Puts a (suspended) process into the job.
    pub fn assign(&self, process: &OwnedHandle) -> std::io::Result<()> {
        // SAFETY: two valid handles owned by this process.
        check(unsafe { AssignProcessToJobObject(self.raw(), process.as_raw_handle()) })
    }

    /// The limits as the system stored them: flags, job memory, active processes.
    pub fn stored_limits(&self) -> std::io::Result<(u32, u64, u32)> {
        let mut info = JOBOBJECT_EXTENDED_LIMIT_INFORMATION::default();
        // SAFETY: a valid job handle and a writable struct of the class's size.
        check(unsafe {
            QueryInformationJobObject(
                self.raw(),
                JobObjectExtendedLimitInformation,
                (&raw mut info).cast(),
                size_of::<JOBOBJECT_EXTENDED_LIMIT_INFORMATION>() as u32,
                std::ptr::null_mut(),
            )
        })?;
        let b = &info.BasicLimitInformation;
        Ok((b.LimitFlags, info.JobMemoryLimit as u64, b.ActiveProcessLimit))
    }

    /// Process counts, CPU time and I/O bytes (I/O 0 where the system
    /// has no I/O accounting: Wine answers ERROR_INVALID_FUNCTION).
    pub fn accounting(&self) -> std::io::Result<Accounting> {
        let mut info = JOBOBJECT_BASIC_AND_IO_ACCOUNTING_INFORMATION::default();
        let io = self.query(JobObjectBasicAndIoAccountingInformation, &mut info);
        if io.is_err() {
            self.query(JobObjectBasicAccountingInformation, &mut info.BasicInfo)?;
            info.IoInfo = Default::default();
        }
        let b = &info.BasicInfo;
        Ok(Accounting {
            total_processes: b.TotalProcesses,
            active_processes: b.ActiveProcesses,
            cpu_time: b.TotalUserTime + b.TotalKernelTime,
            read_bytes: info.IoInfo.ReadTransferCount,
            write_bytes: info.IoInfo.WriteTransferCount,
        })
    }

    /// Reads information class `class` into `out` (a plain struct of that
    /// class's layout).
    fn query<T>(&self, class: i32, out: &mut T) -> std::io::Result<()> {
        // SAFETY: a valid job handle and a writable `T`, the struct the
        // caller pairs with `class`, of its exact size.
        check(unsafe {
            QueryInformationJobObject(
                self.raw(),
                class,
                (out as *mut T).cast(),
                size_of::<T>() as u32,
                std::ptr::null_mut(),
            )
        })
    }
}
