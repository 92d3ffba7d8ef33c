//! Plans translated into Windows terms, checked on any OS: identity,
//! grants, program lookup, volumes, network capabilities, job limits, and
//! what is refused before spawning.

use super::*;
use cove_core::plan::HostIdentity;
use cove_core::spec::{MountSpec, NetworkMode, RunSpec};

fn spec(args: &[&str]) -> RunSpec {
    let mut s = RunSpec::zero_setup(args);
    s.process.env.insert(1, ("HOSTNAME".into(), "box".into()));
    s.process.user.name = Some("root".into());
    s
}

fn cx() -> Context {
    Context {
        id: ContainerId::parse(&"0123456789abcdef".repeat(4)).unwrap(),
        container_dir: r"C:\Users\u\AppData\Local\Temp\cove-0123".into(),
        system_root: r"C:\Windows".into(),
        cpus: 4,
    }
}

fn win(s: &RunSpec) -> Result<WindowsPlan, TranslateError> {
    let plan = Plan::build(s, HostIdentity { uid: 65534, gid: 65534, subids: None }).unwrap();
    translate(&plan, &cx(), &|_| false)
}

#[test]
fn identity_comes_from_the_container_id() {
    let w = win(&spec(&["cmd.exe", "/c", "echo hi"])).unwrap();
    assert_eq!(w.profile, "cove.0123456789abcdef0123456789abcdef");
    assert_eq!(w.sid, crate::appcontainer::derive_sid(&w.profile));
    assert_eq!(w.job_name, format!(r"Local\cove-{}", "0123456789abcdef".repeat(4)));
    assert!(w.capabilities.is_empty(), "--network none: no capability SIDs");
    assert_eq!(w.command_line, r#"cmd.exe /c "echo hi""#);
    assert_eq!(w.cwd, r"C:\Users\u\AppData\Local\Temp\cove-0123");
}

#[test]
fn the_container_dir_is_granted_and_created() {
    let w = win(&spec(&["x.exe"])).unwrap();
    let dir = r"C:\Users\u\AppData\Local\Temp\cove-0123";
    let sid = w.sid.to_string();
    assert_eq!(w.grants[0].sddl(), format!("(A;OICI;0x1301bf;;;{sid})"));
    assert_eq!(w.grants[0].path, dir);
    assert!(w.dirs.contains(&format!(r"{dir}\tmp")) && w.dirs.contains(&format!(r"{dir}\root")));
    assert!(w.dirs.iter().all(|d| d.starts_with(dir)), "{:?}", w.dirs);
    assert!(w.files.iter().any(|(p, _)| p == &format!(r"{dir}\etc\passwd")));
}

#[test]
fn program_is_looked_up_in_the_containers_path() {
    let w = win(&spec(&["whoami"])).unwrap();
    assert_eq!(w.program.0, "whoami");
    assert_eq!(
        w.program.1[..2],
        [r"C:\Windows\System32\whoami.com".to_owned(), r"C:\Windows\System32\whoami.exe".into()]
    );
    let exe = win(&spec(&["tool.exe"])).unwrap();
    assert_eq!(exe.program.1[0], r"C:\Windows\System32\tool.exe");
    let abs = win(&spec(&[r"D:\bin\t.exe"])).unwrap();
    assert_eq!(abs.program.1, [r"D:\bin\t.exe"]);
}

#[test]
fn volumes_get_grants_and_map_the_working_dir() {
    let mut s = spec(&["x.exe"]);
    s.mounts.push(MountSpec::Bind { source: r"D:\src".into(), destination: "/work".into(), read_only: true });
    s.process.cwd = "/work/sub".into();
    let w = win(&s).unwrap();
    assert_eq!(w.cwd, r"D:\src\sub");
    let g: Vec<String> = w.grants.iter().filter(|g| g.path == r"D:\src").map(|g| g.sddl()).collect();
    assert_eq!(g, [format!("(A;OICI;0x1200a9;;;{})", w.sid)]);
}

#[test]
fn network_host_grants_the_three_capabilities() {
    let mut s = spec(&["x.exe"]);
    s.network = NetworkMode::Host;
    let names: Vec<&str> = win(&s).unwrap().capabilities.iter().map(|c| c.name).collect();
    assert_eq!(names, ["internetClient", "internetClientServer", "privateNetworkClientServer"]);
}

#[test]
fn limits_reach_the_job() {
    let mut s = spec(&["x.exe"]);
    s.limits = cove_core::spec::Limits {
        memory: Some(64 << 20),
        nano_cpus: Some(1_000_000_000),
        pids: Some(5),
        ..Default::default()
    };
    let j = win(&s).unwrap().job;
    assert_eq!((j.job_memory, j.active_processes, j.cpu_rate), (64 << 20, 5, Some(2500)));
    s.limits.nano_cpus = Some(8_000_000_000);
    assert!(matches!(win(&s), Err(TranslateError::Job(_))));
}

#[test]
fn unrepresentable_requests_are_refused_before_spawning() {
    let mut s = spec(&["x.exe"]);
    s.process.cwd = "/a:b".into();
    assert!(matches!(win(&s), Err(TranslateError::Path(_))));
    let mut t = spec(&["x.exe"]);
    t.process.terminal = true;
    let err = win(&t).unwrap_err().to_string();
    assert!(err.starts_with("--tty is not supported by the windows backend"), "{err}");
    assert!(matches!(win(&spec(&["a\"b"])), Err(TranslateError::Cmdline(_))));
}
