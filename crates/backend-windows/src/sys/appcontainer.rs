//! AppContainer profiles and SIDs: a profile per container (deleted on
//! drop), string SIDs converted for the token's capabilities, and the
//! `SECURITY_CAPABILITIES` a process is created with.

use super::{check, hresult, wide};
use windows_sys::Win32::Foundation::{ERROR_ALREADY_EXISTS, LocalFree};
use windows_sys::Win32::Security::Authorization::{ConvertSidToStringSidW, ConvertStringSidToSidW};
use windows_sys::Win32::Security::Isolation::{
    CreateAppContainerProfile, DeleteAppContainerProfile, DeriveAppContainerSidFromAppContainerName,
};
use windows_sys::Win32::Security::{FreeSid, PSID, SECURITY_CAPABILITIES, SID_AND_ATTRIBUTES};

/// `SE_GROUP_ENABLED`: a capability SID that counts in access checks.
const SE_GROUP_ENABLED: u32 = 0x4;

/// A SID allocated by `ConvertStringSidToSidW` (freed with `LocalFree`).
pub struct LocalSid(PSID);

impl LocalSid {
    /// Converts `S-1-…` text.
    pub fn parse(sid: &str) -> std::io::Result<LocalSid> {
        let w = wide(sid);
        let mut p: PSID = std::ptr::null_mut();
        // SAFETY: a NUL-terminated string and a valid out pointer.
        check(unsafe { ConvertStringSidToSidW(w.as_ptr(), &mut p) })?;
        Ok(LocalSid(p))
    }

    /// The raw SID, valid while `self` lives.
    pub fn as_psid(&self) -> PSID {
        self.0
    }
}

impl Drop for LocalSid {
    fn drop(&mut self) {
        // SAFETY: allocated by ConvertStringSidToSidW for the caller to free once.
        unsafe { LocalFree(self.0.cast()) };
    }
}

/// A SID returned by the AppContainer API (freed with `FreeSid`).
struct UserenvSid(PSID);

impl Drop for UserenvSid {
    fn drop(&mut self) {
        // SAFETY: allocated by Create/DeriveAppContainer…, documented to be freed with FreeSid, once.
        unsafe { FreeSid(self.0) };
    }
}

/// `sid` as `S-1-…` text.
fn sid_string(sid: PSID) -> std::io::Result<String> {
    let mut text: windows_sys::core::PWSTR = std::ptr::null_mut();
    // SAFETY: a valid SID and an out pointer for a LocalAlloc'd string.
    check(unsafe { ConvertSidToStringSidW(sid, &mut text) })?;
    // SAFETY: the string is NUL-terminated; read up to the NUL.
    let len = (0..).take_while(|&i| unsafe { *text.add(i) } != 0).count();
    // SAFETY: `len` initialised units.
    let s = String::from_utf16_lossy(unsafe { std::slice::from_raw_parts(text, len) });
    // SAFETY: allocated by ConvertSidToStringSidW for the caller to free once.
    unsafe { LocalFree(text.cast()) };
    Ok(s)
}

/// The SID Windows derives for a profile name (no profile is created).
pub fn derive_sid(name: &str) -> std::io::Result<String> {
    let w = wide(name);
    let mut p: PSID = std::ptr::null_mut();
    // SAFETY: a NUL-terminated name and a valid out pointer.
    hresult(unsafe { DeriveAppContainerSidFromAppContainerName(w.as_ptr(), &mut p) })?;
    let sid = UserenvSid(p);
    sid_string(sid.0)
}

/// Deletes the profile `name`; a profile that does not exist is fine.
pub fn delete_profile(name: &str) -> std::io::Result<()> {
    let w = wide(name);
    // SAFETY: a NUL-terminated name.
    match hresult(unsafe { DeleteAppContainerProfile(w.as_ptr()) }) {
        // ERROR_FILE_NOT_FOUND, ERROR_PATH_NOT_FOUND: nothing to delete.
        Err(e) if matches!(e.raw_os_error(), Some(2 | 3)) => Ok(()),
        other => other,
    }
}

/// A profile this process created; deleted on drop.
pub struct Profile {
    name: Vec<u16>,
    sid: UserenvSid,
}

impl Profile {
    /// Creates the profile `name`. A leftover profile of that name (from a
    /// killed run) is deleted and created again.
    pub fn create(name: &str) -> std::io::Result<Profile> {
        let w = wide(name);
        let mut p: PSID = std::ptr::null_mut();
        let create = |p: &mut PSID| {
            // SAFETY: NUL-terminated name, display name and description; no
            // capabilities (they are given per process); a valid out pointer.
            hresult(unsafe { CreateAppContainerProfile(w.as_ptr(), w.as_ptr(), w.as_ptr(), std::ptr::null(), 0, p) })
        };
        match create(&mut p) {
            Err(e) if e.raw_os_error() == Some(ERROR_ALREADY_EXISTS as i32) => {
                // SAFETY: a NUL-terminated name.
                hresult(unsafe { DeleteAppContainerProfile(w.as_ptr()) })?;
                create(&mut p)?;
            }
            other => other?,
        }
        Ok(Profile { name: w, sid: UserenvSid(p) })
    }

    /// The profile's SID as text.
    pub fn sid(&self) -> std::io::Result<String> {
        sid_string(self.sid.0)
    }
}

impl Drop for Profile {
    fn drop(&mut self) {
        // SAFETY: the NUL-terminated name of a profile this process created.
        unsafe { DeleteAppContainerProfile(self.name.as_ptr()) };
    }
}

/// A token description for `CreateProcessW`: the AppContainer SID and the
/// capability SIDs, kept alive as long as the pointers in it are used.
pub struct Token<'a> {
    app: PSID,
    _owner: std::marker::PhantomData<&'a ()>,
    _caps: Vec<LocalSid>,
    attrs: Vec<SID_AND_ATTRIBUTES>,
}

impl<'a> Token<'a> {
    /// The token for `profile` with the capability SIDs `caps` (text).
    pub fn new(profile: &'a Profile, caps: &[&str]) -> std::io::Result<Token<'a>> {
        Token::with(profile.sid.0, caps)
    }

    /// The token for an existing profile's SID (`cove exec` joins the
    /// running container's AppContainer without creating its profile).
    pub fn for_sid(sid: &'a LocalSid, caps: &[&str]) -> std::io::Result<Token<'a>> {
        Token::with(sid.as_psid(), caps)
    }

    fn with(app: PSID, caps: &[&str]) -> std::io::Result<Token<'a>> {
        let sids = caps.iter().map(|c| LocalSid::parse(c)).collect::<std::io::Result<Vec<_>>>()?;
        let attrs =
            sids.iter().map(|s| SID_AND_ATTRIBUTES { Sid: s.as_psid(), Attributes: SE_GROUP_ENABLED }).collect();
        Ok(Token { app, _owner: std::marker::PhantomData, _caps: sids, attrs })
    }

    /// The attribute value; valid while `self` lives and is not moved.
    pub fn security_capabilities(&mut self) -> SECURITY_CAPABILITIES {
        SECURITY_CAPABILITIES {
            AppContainerSid: self.app,
            Capabilities: if self.attrs.is_empty() { std::ptr::null_mut() } else { self.attrs.as_mut_ptr() },
            CapabilityCount: self.attrs.len() as u32,
            Reserved: 0,
        }
    }
}
