//! Creating the container's process: suspended, with an AppContainer token
//! (`PROC_THREAD_ATTRIBUTE_SECURITY_CAPABILITIES`), only the three standard
//! handles inherited (`PROC_THREAD_ATTRIBUTE_HANDLE_LIST`), the container's
//! environment block and working directory. Then resumed and waited for.

use super::{check, owned, wide};
use std::os::windows::io::{AsRawHandle, OwnedHandle};
use windows_sys::Win32::Foundation::{HANDLE, HANDLE_FLAG_INHERIT, SetHandleInformation, WAIT_OBJECT_0};
use windows_sys::Win32::Security::SECURITY_CAPABILITIES;
use windows_sys::Win32::System::Console::GetConsoleWindow;
use windows_sys::Win32::System::Threading::{
    CREATE_SUSPENDED, CREATE_UNICODE_ENVIRONMENT, CreateProcessW, DETACHED_PROCESS, DeleteProcThreadAttributeList,
    EXTENDED_STARTUPINFO_PRESENT, GetExitCodeProcess, INFINITE, InitializeProcThreadAttributeList,
    LPPROC_THREAD_ATTRIBUTE_LIST, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, PROC_THREAD_ATTRIBUTE_SECURITY_CAPABILITIES,
    PROCESS_INFORMATION, ResumeThread, STARTF_USESTDHANDLES, STARTUPINFOEXW, UpdateProcThreadAttribute,
    WaitForSingleObject,
};

/// What to start.
pub struct Request<'a> {
    /// The program's full path.
    pub application: &'a str,
    /// The whole command line.
    pub command_line: &'a str,
    /// The environment block (UTF-16, double-NUL terminated).
    pub env_block: &'a [u16],
    /// Working directory.
    pub cwd: &'a str,
    /// Standard input, output and error (each made inheritable).
    pub stdio: [&'a OwnedHandle; 3],
}

/// A started, still suspended process.
pub struct Suspended {
    /// The process.
    pub process: OwnedHandle,
    /// Its first thread.
    pub thread: OwnedHandle,
    /// Its id.
    pub pid: u32,
}

/// An attribute list with room for two attributes; deleted on drop.
struct Attributes {
    buf: Vec<usize>,
}

impl Attributes {
    fn new() -> std::io::Result<Attributes> {
        let mut size = 0usize;
        // SAFETY: the documented size query (NULL list); it "fails" with
        // ERROR_INSUFFICIENT_BUFFER and sets `size`.
        unsafe { InitializeProcThreadAttributeList(std::ptr::null_mut(), 2, 0, &mut size) };
        let mut buf = vec![0usize; size.div_ceil(size_of::<usize>())];
        // SAFETY: `buf` has at least `size` bytes, suitably aligned.
        check(unsafe { InitializeProcThreadAttributeList(buf.as_mut_ptr().cast(), 2, 0, &mut size) })?;
        Ok(Attributes { buf })
    }

    fn list(&mut self) -> LPPROC_THREAD_ATTRIBUTE_LIST {
        self.buf.as_mut_ptr().cast()
    }

    /// Sets one attribute; `value` must outlive the CreateProcessW call.
    fn set<T>(&mut self, attribute: u32, value: *const T, size: usize) -> std::io::Result<()> {
        // SAFETY: an initialised list; `value` points at `size` bytes that
        // the caller keeps alive until the process is created.
        check(unsafe {
            UpdateProcThreadAttribute(
                self.list(),
                0,
                attribute as usize,
                value.cast(),
                size,
                std::ptr::null_mut(),
                std::ptr::null(),
            )
        })
    }
}

impl Drop for Attributes {
    fn drop(&mut self) {
        // SAFETY: initialised in `new`, deleted once.
        unsafe { DeleteProcThreadAttributeList(self.list()) };
    }
}

fn inheritable(h: &OwnedHandle) -> std::io::Result<HANDLE> {
    // SAFETY: a valid handle owned by this process.
    check(unsafe { SetHandleInformation(h.as_raw_handle(), HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT) })?;
    Ok(h.as_raw_handle())
}

/// Creates the process suspended; `security` (the AppContainer token) is
/// `None` only for the checks that exercise jobs where Wine has no
/// AppContainers.
pub fn create_suspended(req: &Request, security: Option<&SECURITY_CAPABILITIES>) -> std::io::Result<Suspended> {
    let mut handles: Vec<HANDLE> = Vec::new();
    for h in req.stdio {
        let raw = inheritable(h)?;
        if !handles.contains(&raw) {
            handles.push(raw);
        }
    }
    let mut attrs = Attributes::new()?;
    attrs.set(PROC_THREAD_ATTRIBUTE_HANDLE_LIST, handles.as_ptr(), size_of_val(handles.as_slice()))?;
    if let Some(caps) = security {
        attrs.set(PROC_THREAD_ATTRIBUTE_SECURITY_CAPABILITIES, caps, size_of::<SECURITY_CAPABILITIES>())?;
    }
    let mut si = STARTUPINFOEXW::default();
    si.StartupInfo.cb = size_of::<STARTUPINFOEXW>() as u32;
    si.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
    [si.StartupInfo.hStdInput, si.StartupInfo.hStdOutput, si.StartupInfo.hStdError] =
        req.stdio.map(|h| h.as_raw_handle());
    si.lpAttributeList = attrs.list();
    let app = wide(req.application);
    let mut line = wide(req.command_line);
    let cwd = wide(req.cwd);
    let mut pi = PROCESS_INFORMATION::default();
    // ORDER: CREATE_SUSPENDED, so that the process runs no instruction
    // before the caller has put it into the container's job.
    let mut flags = CREATE_SUSPENDED | CREATE_UNICODE_ENVIRONMENT | EXTENDED_STARTUPINFO_PRESENT;
    // A detached container's monitor has left the console: its programs
    // get none either (no window, and no console host process counted in
    // the job), only the pipes.
    // SAFETY: no arguments; returns NULL when there is no console.
    if unsafe { GetConsoleWindow() }.is_null() {
        flags |= DETACHED_PROCESS;
    }
    // SAFETY: every string is NUL-terminated and the command line writable;
    // the environment block is double-NUL terminated UTF-16; the attribute
    // list and everything it points at (`handles`, `security`) are alive.
    check(unsafe {
        CreateProcessW(
            app.as_ptr(),
            line.as_mut_ptr(),
            std::ptr::null(),
            std::ptr::null(),
            1,
            flags,
            req.env_block.as_ptr().cast(),
            cwd.as_ptr(),
            &si.StartupInfo,
            &mut pi,
        )
    })?;
    Ok(Suspended { process: owned(pi.hProcess)?, thread: owned(pi.hThread)?, pid: pi.dwProcessId })
}

/// Lets the process run.
pub fn resume(thread: &OwnedHandle) -> std::io::Result<()> {
    // SAFETY: a valid thread handle; (DWORD)-1 is the failure value.
    if unsafe { ResumeThread(thread.as_raw_handle()) } == u32::MAX {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// Waits for the process to end (at most `timeout_ms`, `None`: forever) and
/// returns its exit code; `Ok(None)` when it is still running.
pub fn wait(process: &OwnedHandle, timeout_ms: Option<u32>) -> std::io::Result<Option<u32>> {
    // SAFETY: a valid process handle.
    let r = unsafe { WaitForSingleObject(process.as_raw_handle(), timeout_ms.unwrap_or(INFINITE)) };
    if r != WAIT_OBJECT_0 {
        return if timeout_ms.is_some() && r == 0x102 { Ok(None) } else { Err(std::io::Error::last_os_error()) };
    }
    let mut code = 0u32;
    // SAFETY: a valid process handle and out pointer.
    check(unsafe { GetExitCodeProcess(process.as_raw_handle(), &mut code) })?;
    Ok(Some(code))
}
