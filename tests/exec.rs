//! `cove exec` joins a running container: the same namespaces, root,
//! cgroups, capabilities, no_new_privs and seccomp as its first process;
//! never a new sandbox. Until the container store exists, the container is
//! a foreground `cove run` in the background and the exec is the hidden
//! `cove __join --pid PID --plan FILE` (the plan from `cove __plan`).

mod common;

use common::*;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// A container running `sleep` (after writing /tmp/marker), and its plan.
struct Container {
    mode: Mode,
    cove: Option<Running>,
    init: i32,
    plan: PathBuf,
    _dir: TestDir,
}

impl Container {
    fn start(mode: Mode, flags: &[&str]) -> Container {
        let dir = TestDir::new(mode, "exec");
        let plan = cove(mode).arg("__plan").args(["--hostname", "box"]).args(flags).args(["--", "sleep", "1"]).run();
        plan.ok();
        let plan = dir.write("plan.json", plan.stdout);
        let script = "echo inside > /tmp/marker && exec sleep 60";
        let running = cove(mode)
            .arg("run")
            .args(["--hostname", "box"])
            .args(flags)
            .args(["--", "sh", "-c", script])
            .timeout(Duration::from_secs(90))
            .spawn();
        let init = wait_for_init(&running);
        Container { mode, cove: Some(running), init, plan, _dir: dir }
    }

    /// `cove __join --pid INIT --plan FILE FLAGS… -- ARGS…`.
    fn exec(&self, flags: &[&str], args: &[&str]) -> Cove {
        let pid = self.init.to_string();
        let plan = self.plan.display().to_string();
        cove(self.mode).args(["__join", "--pid", &pid, "--plan", &plan]).args(flags).arg("--").args(args)
    }

    fn sh(&self, flags: &[&str], script: &str) -> Out {
        self.exec(flags, &["sh", "-c", script]).run()
    }

    /// The first process's namespace links, read from the host.
    fn ns(&self, kind: &str) -> String {
        std::fs::read_link(format!("/proc/{}/ns/{kind}", self.init)).unwrap().display().to_string()
    }

    fn status_field(&self, field: &str) -> String {
        status_field(&std::fs::read_to_string(format!("/proc/{}/status", self.init)).unwrap(), field)
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Container {
    /// Ends the container (and cove) and waits for cove.
    fn stop(&mut self) {
        if let Some(r) = self.cove.take() {
            // The container dies with cove (PR_SET_PDEATHSIG).
            let _ = rustix::process::kill_process(
                rustix::process::Pid::from_raw(r.pid()).unwrap(),
                rustix::process::Signal::KILL,
            );
            let _ = r.wait();
        }
    }
}

fn status_field(status: &str, field: &str) -> String {
    status.lines().find_map(|l| l.strip_prefix(&format!("{field}:"))).unwrap_or("").trim().to_owned()
}

/// The child of cove once it runs `sleep` (polled, at most 15 s).
fn wait_for_init(running: &Running) -> i32 {
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        for (pid, cmdline) in processes_with("sleep") {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let ppid = stat.rsplit_once(')').and_then(|(_, r)| r.split_whitespace().nth(1)?.parse::<i32>().ok());
            if ppid == Some(running.pid()) && cmdline.starts_with("sleep 60") {
                return pid;
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = rustix::process::kill_process(
        rustix::process::Pid::from_raw(running.pid()).unwrap(),
        rustix::process::Signal::KILL,
    );
    panic!("{}: the container's first process did not start sleep within 15 s", running.describe());
}

#[test]
fn joins_the_containers_namespaces_root_and_privileges() {
    for mode in modes() {
        let c = Container::start(mode, &[]);
        for method in [&[][..], &["--ns-fds"][..]] {
            joined(&c, mode, method);
        }
    }
}

/// The checks of the test above, with the namespaces entered by `method`.
fn joined(c: &Container, mode: Mode, method: &[&str]) {
    let script = "cat /tmp/marker; hostname; for n in user mnt pid uts ipc net cgroup; do readlink /proc/self/ns/$n; done; \
                  grep -E '^(CapEff|CapBnd|NoNewPrivs|Seccomp):' /proc/self/status";
    let out = c.sh(method, script);
    out.ok();
    let lines = out.lines();
    let desc = format!("[{}] exec {method:?}", mode.label());
    assert_eq!(lines[0], "inside", "{desc}: sees the container's /tmp, not the host's: {lines:?}");
    assert_eq!(lines[1], "box", "{desc}: the container's hostname");
    for (i, kind) in ["user", "mnt", "pid", "uts", "ipc", "net", "cgroup"].iter().enumerate() {
        assert_eq!(lines[2 + i], c.ns(kind), "{desc}: {kind} namespace is the container's");
    }
    let field = |name: &str| lines.iter().find_map(|l| l.strip_prefix(&format!("{name}:"))).unwrap().trim().to_owned();
    assert_eq!(field("CapEff"), c.status_field("CapEff"), "{desc}: effective capabilities");
    assert_eq!(field("CapBnd"), c.status_field("CapBnd"), "{desc}: bounding set");
    assert_eq!((field("NoNewPrivs").as_str(), field("Seccomp").as_str()), ("1", "2"), "{desc}: {lines:?}");
}

#[test]
fn sees_only_the_containers_processes_and_cgroups() {
    for mode in modes() {
        let c = Container::start(mode, &[]);
        let script = "cat /proc/1/cmdline | tr '\\0' ' '; echo; ls /proc | grep -c '^[0-9]*$'; \
                      cat /proc/self/cgroup; echo --; cat /proc/1/cgroup";
        let out = c.sh(&[], script);
        out.ok();
        let lines = out.lines();
        assert_eq!(lines[0], "sleep 60 ", "[{}] pid 1 is the container's first process", mode.label());
        let count: usize = lines[1].parse().unwrap();
        assert!(count <= 6, "[{}] only the container's processes are visible, got {count}", mode.label());
        let text = lines[2..].join("\n");
        let (ours, theirs) = text.split_once("\n--\n").unwrap();
        assert_eq!(ours, theirs, "[{}] the exec is in the first process's cgroups", mode.label());
    }
}

#[test]
fn joins_the_limited_cgroups_as_root() {
    if !modes().contains(&Mode::Root) {
        return;
    }
    let c = Container::start(Mode::Root, &["--pids-limit", "50"]);
    let out = c.sh(&[], "cat /proc/self/cgroup");
    out.ok();
    let theirs = std::fs::read_to_string(format!("/proc/{}/cgroup", c.init)).unwrap();
    let pids = theirs.lines().find(|l| l.contains(":pids:")).unwrap();
    assert!(pids.contains("/cove/"), "the container is limited: {pids}");
    let exec_pids = out.lines().into_iter().find(|l| l.contains(":pids:")).unwrap();
    assert!(
        exec_pids.ends_with(":pids:/"),
        "the exec is in the container's pids cgroup (its namespace root): {exec_pids}"
    );
    let dir = PathBuf::from("/sys/fs/cgroup/pids").join(pids.split_once(":pids:/").unwrap().1);
    let procs = c.exec(&[], &["sh", "-c", "cat /proc/self/stat >/dev/null; sleep 0.3"]).spawn();
    std::thread::sleep(Duration::from_millis(150));
    let members = std::fs::read_to_string(dir.join("cgroup.procs")).unwrap();
    procs.wait().ok();
    assert!(members.lines().count() >= 2, "the exec's process is counted in {}: {members:?}", dir.display());
}

#[test]
fn exit_codes_like_docker_exec() {
    for mode in modes() {
        let c = Container::start(mode, &[]);
        c.exec(&[], &["true"]).run().ok();
        c.sh(&[], "exit 3").code(3);
        c.exec(&[], &["nosuchcommand"]).run().code(127).stderr_has("executable file not found");
        c.exec(&[], &["/etc"]).run().code(126);
        c.sh(&[], "kill -TERM $$").code(143);
        c.exec(&["-w", "/nonexistent"], &["true"]).run().cove_error("chdir to working directory");
    }
}

#[test]
fn env_user_workdir_stdin_and_tty() {
    for mode in modes() {
        let c = Container::start(mode, &["-e", "FROM_RUN=1"]);
        let out = c.sh(&["-e", "FROM_EXEC=2", "-w", "/tmp"], "echo $FROM_RUN $FROM_EXEC $HOSTNAME; pwd");
        out.ok().stdout_is("1 2 box\n/tmp\n");
        if mode == Mode::Root {
            c.sh(&["-u", "65534:65534"], "id -u; id -g").ok().stdout_is("65534\n65534\n");
        }
        c.exec(&["-u", "nosuchuser"], &["true"]).run().cove_error("unable to find user nosuchuser");
        c.exec(&["-i"], &["cat"]).stdin("piped in\n").run().ok().stdout_is("piped in\n");
        c.exec(&[], &["cat"]).stdin("not read\n").run().ok().stdout_is("");
        let tty = c.sh(&["-t"], "test -t 0 && test -t 1 && echo ttys; echo $TERM");
        tty.ok().stdout_has("ttys").stdout_has("xterm");
    }
}

#[test]
fn detached_exec_returns_at_once_and_keeps_running() {
    for mode in modes() {
        let c = Container::start(mode, &[]);
        let started = Instant::now();
        c.sh(&["-d"], "sleep 2; echo done > /tmp/detached").ok().stdout_is("");
        assert!(
            started.elapsed() < Duration::from_millis(1900),
            "[{}] -d returned before the command ended",
            mode.label()
        );
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let out = c.sh(&[], "cat /tmp/detached 2>/dev/null || true");
            if out.stdout() == "done\n" {
                break;
            }
            assert!(Instant::now() < deadline, "[{}] the detached command never finished", mode.label());
            std::thread::sleep(Duration::from_millis(100));
        }
        c.exec(&["-d"], &["nosuchcommand"]).run().code(127);
        c.exec(&["-d", "-t"], &["true"]).run().cove_error("-d with -t");
    }
}

#[test]
fn a_stopped_or_reused_pid_is_refused() {
    for mode in modes() {
        let mut c = Container::start(mode, &[]);
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", c.init)).unwrap();
        let started: u64 = stat.rsplit_once(')').unwrap().1.split_whitespace().nth(19).unwrap().parse().unwrap();
        let pid = c.init.to_string();
        let plan = c.plan.display().to_string();
        let with_start = |t: u64| {
            cove(mode)
                .args(["__join", "--pid", &pid, "--plan", &plan, "--start-time", &t.to_string(), "--", "true"])
                .run()
        };
        with_start(started).ok();
        with_start(started + 1).cove_error("now belongs to another process");
        c.stop();
        // The container dies with cove (PR_SET_PDEATHSIG), a moment later.
        let end = Instant::now() + Duration::from_secs(5);
        while std::path::Path::new(&format!("/proc/{pid}")).exists() && Instant::now() < end {
            std::thread::sleep(Duration::from_millis(10));
        }
        cove(mode).args(["__join", "--pid", &pid, "--plan", &plan, "--", "true"]).run().cove_error("is not running");
    }
}

#[test]
fn signals_reach_the_exec_process() {
    for mode in modes() {
        let c = Container::start(mode, &[]);
        let running = c.exec(&[], &["sleep", "31"]).spawn();
        let deadline = Instant::now() + Duration::from_secs(10);
        let ppid_of = |pid: i32| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            stat.rsplit_once(')').and_then(|(_, r)| r.split_whitespace().nth(1)?.parse::<i32>().ok())
        };
        while !processes_with("sleep")
            .iter()
            .any(|(p, cmd)| cmd.starts_with("sleep 31") && ppid_of(*p) == Some(running.pid()))
        {
            assert!(Instant::now() < deadline, "{}: the exec process never started", running.describe());
            std::thread::sleep(Duration::from_millis(20));
        }
        running.signal(rustix::process::Signal::TERM);
        running.wait().code(143);
    }
}

/// `cove exec NAME` on a container started by `cove run -d` (its own
/// store); the container is removed at the end, also when the test fails.
struct Detached {
    mode: Mode,
    _dir: TestDir,
    root: String,
    name: String,
}

impl Detached {
    fn start(mode: Mode) -> Detached {
        let dir = TestDir::new(mode, "exec-store");
        let root = dir.join("store").display().to_string();
        let d = Detached { mode, _dir: dir, root, name: unique("exec") };
        let script = "echo inside > /tmp/marker && exec sleep 60";
        d.cove(&["run", "-d", "--name", &d.name, "-e", "FROM_RUN=1", "--", "sh", "-c", script]).ok();
        d
    }

    fn cove(&self, args: &[&str]) -> Out {
        cove(self.mode).env("COVE_ROOT", &self.root).args(args).run()
    }

    fn exec(&self, flags: &[&str], args: &[&str]) -> Out {
        let mut all = vec!["exec"];
        all.extend(flags);
        all.push(&self.name);
        all.extend(args);
        self.cove(&all)
    }

    /// The first process's host pid (`inspect`).
    fn pid(&self) -> i64 {
        let out = self.cove(&["inspect", &self.name]);
        out.ok();
        let v: serde_json::Value = serde_json::from_str(&out.stdout()).unwrap();
        v[0]["State"]["Pid"].as_i64().unwrap_or_else(|| out.fail("a State.Pid"))
    }
}

impl Drop for Detached {
    fn drop(&mut self) {
        let _ = self.cove(&["rm", "-f", &self.name]);
    }
}

#[test]
fn the_exec_verb_joins_a_detached_container() {
    for mode in modes() {
        let d = Detached::start(mode);
        let deadline = Instant::now() + Duration::from_secs(10);
        // The marker is written right after start; wait for it.
        let out = loop {
            let out =
                d.exec(&[], &["sh", "-c", "cat /tmp/marker 2>/dev/null; echo $FROM_RUN; readlink /proc/self/ns/mnt"]);
            if out.stdout().starts_with("inside") || Instant::now() > deadline {
                break out;
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        out.ok();
        let pid = d.pid();
        let mnt = std::fs::read_link(format!("/proc/{pid}/ns/mnt")).unwrap().display().to_string();
        assert_eq!(out.lines(), vec!["inside".to_owned(), "1".to_owned(), mnt], "[{}] exec {}", mode.label(), d.name);
        d.exec(&[], &["sh", "-c", "exit 5"]).code(5);
        d.exec(&["-i"], &["cat"]).code(0);
        d.exec(&[], &["nosuchcommand"]).code(127);
        d.cove(&["exec", "no-such-container", "true"]).code(1).stderr_has("No such container");
        d.cove(&["kill", &d.name]).ok();
        let end = Instant::now() + Duration::from_secs(10);
        loop {
            let out = d.exec(&[], &["true"]);
            if out.code == Some(1) {
                out.stderr_has("is not running");
                break;
            }
            assert!(Instant::now() < end, "[{}] exec into a killed container: {}", mode.label(), out.status());
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}
