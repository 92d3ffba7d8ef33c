//! Job Objects: a named job per container with its limits, processes
//! assigned to it, accounting read back. The handle's drop closes it, and
//! with kill-on-close that ends every process in the job.

use super::{check, owned, wide};
use crate::job::{CPU_RATE_ENABLE, CPU_RATE_HARD_CAP, JobLimits};
use std::os::windows::io::{AsRawHandle, OwnedHandle};
use windows_sys::Win32::Foundation::{ERROR_ALREADY_EXISTS, GetLastError};
use windows_sys::Win32::System::JobObjects::{
    AssignProcessToJobObject, CreateJobObjectW, JOBOBJECT_BASIC_ACCOUNTING_INFORMATION,
    JOBOBJECT_CPU_RATE_CONTROL_INFORMATION, JOBOBJECT_EXTENDED_LIMIT_INFORMATION, JobObjectBasicAccountingInformation,
    JobObjectCpuRateControlInformation, JobObjectExtendedLimitInformation, QueryInformationJobObject,
    SetInformationJobObject,
};

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

    /// Process counts and CPU time.
    pub fn accounting(&self) -> std::io::Result<Accounting> {
        let mut info = JOBOBJECT_BASIC_ACCOUNTING_INFORMATION::default();
        // SAFETY: as in `stored_limits`, for the accounting class.
        check(unsafe {
            QueryInformationJobObject(
                self.raw(),
                JobObjectBasicAccountingInformation,
                (&raw mut info).cast(),
                size_of::<JOBOBJECT_BASIC_ACCOUNTING_INFORMATION>() as u32,
                std::ptr::null_mut(),
            )
        })?;
        Ok(Accounting {
            total_processes: info.TotalProcesses,
            active_processes: info.ActiveProcesses,
            cpu_time: info.TotalUserTime + info.TotalKernelTime,
        })
    }
}
