//! Docker command lines as people type them (`--flag=true`, `-eK=V`, `-h`,
//! `--mount`, `:ro,z`, `--sysctl`, …), run through `cove run` on the busybox
//! rootfs in both modes: each row asserts what the command sees inside.
//! Flags cove cannot honour must fail with exit 125 and name the flag.

mod common;

use common::*;
use std::path::Path;

/// One command line after `cove run`, with `{ROOT}` (the busybox rootfs) and
/// `{DIR}` (a scratch dir holding `f` = "content" and a label file), and the
/// exact stdout it must print.
struct Case {
    argv: &'static [&'static str],
    want: &'static str,
}

const RO_CHECK: &str = "cat /data/f; touch /data/g 2>/dev/null || echo read-only";

const CASES: &[Case] = &[
    // Boolean flags with Docker's =true/=false; -e forms; an unset -e KEY is skipped.
    Case {
        argv: &[
            "--rootfs",
            "{ROOT}",
            "--rm=true",
            "-t=false",
            "--init=false",
            "--read-only=false",
            "-e",
            "A=1",
            "--env=B=2",
            "-eC=3",
            "-e",
            "COVE_UNSET_XYZ",
            "sh",
            "-c",
            "echo $A$B$C ${COVE_UNSET_XYZ-unset}",
        ],
        want: "123 unset\n",
    },
    // The last -w wins, as with Docker.
    Case {
        argv: &["--rootfs", "{ROOT}", "--workdir=/srv/app", "-w", "/w", "--name=cove-docker-cli-web", "pwd"],
        want: "/w\n",
    },
    Case {
        argv: &[
            "--rootfs",
            "{ROOT}",
            "-h",
            "web01",
            "--domainname=example.org",
            "sh",
            "-c",
            "hostname; cat /proc/sys/kernel/domainname",
        ],
        want: "web01\nexample.org\n",
    },
    Case {
        argv: &["--rootfs", "{ROOT}", "--shm-size=256m", "sh", "-c", "df -k /dev/shm | awk 'NR==2{print $2}'"],
        want: "262144\n",
    },
    Case {
        argv: &[
            "--rootfs",
            "{ROOT}",
            "--sysctl",
            "kernel.shmmax=65536",
            "--sysctl=net.ipv4.ip_unprivileged_port_start=80",
            "--sysctl",
            "fs.mqueue.msg_max=20",
            "cat",
            "/proc/sys/kernel/shmmax",
            "/proc/sys/net/ipv4/ip_unprivileged_port_start",
            "/proc/sys/fs/mqueue/msg_max",
        ],
        want: "65536\n80\n20\n",
    },
    Case {
        argv: &["--rootfs", "{ROOT}", "-v", "{DIR}:/data:ro,z", "sh", "-c", RO_CHECK],
        want: "content\nread-only\n",
    },
    Case { argv: &["--rootfs", "{ROOT}", "-v", "{DIR}:/data:rw", "cat", "/data/f"], want: "content\n" },
    Case {
        argv: &["--rootfs", "{ROOT}", "--mount", "type=bind,source={DIR},target=/data,readonly", "sh", "-c", RO_CHECK],
        want: "content\nread-only\n",
    },
    Case {
        argv: &[
            "--rootfs",
            "{ROOT}",
            "--mount",
            "type=tmpfs,destination=/cache,tmpfs-size=1m,tmpfs-mode=1770",
            "sh",
            "-c",
            "df -k /cache | awk 'NR==2{print $2}'; ls -ld /cache | cut -c1-10",
        ],
        want: "1024\ndrwxrwx--T\n",
    },
    Case {
        argv: &[
            "--rootfs",
            "{ROOT}",
            "--tmpfs",
            "/run:rw,noexec,nosuid,size=65536k",
            "sh",
            "-c",
            "df -k /run | awk 'NR==2{print $2}'; grep ' /run ' /proc/mounts | grep -o noexec",
        ],
        want: "65536\nnoexec\n",
    },
    // Anonymous volumes: empty, writable, gone with the container.
    Case {
        argv: &[
            "--rootfs",
            "{ROOT}",
            "-v",
            "/scratch",
            "--mount",
            "type=volume,target=/cache2",
            "sh",
            "-c",
            "ls -A /scratch; echo x > /scratch/f && cat /scratch/f; echo y > /cache2/f && cat /cache2/f",
        ],
        want: "x\ny\n",
    },
    Case {
        argv: &["--rootfs", "{ROOT}", "--ipc=none", "sh", "-c", "ls /dev/shm 2>/dev/null || echo no-shm"],
        want: "no-shm\n",
    },
    // An anonymous volume stays writable on a read-only root.
    Case {
        argv: &["--rootfs", "{ROOT}", "--read-only", "-v", "/data", "sh", "-c", "echo x > /data/f && cat /data/f"],
        want: "x\n",
    },
    Case { argv: &["--rootfs", "{ROOT}", "-u", "1000", "id", "-u"], want: "1000\n" },
    Case { argv: &["--rootfs", "{ROOT}", "-u", "1000:1000", "sh", "-c", "id -u; id -g"], want: "1000\n1000\n" },
    Case { argv: &["--rootfs", "{ROOT}", "-u", "nobody", "id", "-un"], want: "nobody\n" },
    // NET_ADMIN (12) and SYS_ADMIN (21) added in Docker's spellings, CHOWN (0) dropped.
    Case {
        argv: &[
            "--rootfs",
            "{ROOT}",
            "--cap-add=NET_ADMIN",
            "--cap-add",
            "CAP_SYS_ADMIN",
            "--cap-drop=chown",
            "sh",
            "-c",
            "c=0x$(awk '/^CapEff/{print $2}' /proc/self/status); echo $(( (c>>12)&1 ))$(( (c>>21)&1 ))$(( c&1 ))",
        ],
        want: "110\n",
    },
    Case {
        argv: &[
            "--rootfs",
            "{ROOT}",
            "--security-opt=no-new-privileges",
            "sh",
            "-c",
            "awk '/^NoNewPrivs/{print $2}' /proc/self/status",
        ],
        want: "1\n",
    },
    // Accepted with Docker's meaning: metadata and foreground-attach flags.
    Case {
        argv: &[
            "--rootfs",
            "{ROOT}",
            "-l",
            "com.example.role=web",
            "--label=tier=1",
            "--label-file",
            "{DIR}/labels",
            "--log-driver=json-file",
            "--log-opt",
            "max-size=10m",
            "--expose",
            "8080/tcp",
            "--health-cmd",
            "true",
            "--health-interval=30s",
            "--health-retries=3",
            "-a",
            "stdout",
            "-a",
            "STDERR",
            "--sig-proxy=false",
            "--detach-keys=ctrl-p,ctrl-q",
            "--ipc=private",
            "--pid=private",
            "--uts=private",
            "--cgroupns=private",
            "--isolation=default",
            "--privileged=false",
            "--annotation",
            "org.example.note=1",
            "echo",
            "ok",
        ],
        want: "ok\n",
    },
    // Words after the command are the command's, even when they look like cove's flags.
    Case { argv: &["--rootfs", "{ROOT}", "--rm", "echo", "-n", "--rm=false", "-t"], want: "--rm=false -t" },
    Case {
        argv: &["--rootfs", "{ROOT}", "--read-only=true", "sh", "-c", "touch /x 2>/dev/null || echo ro"],
        want: "ro\n",
    },
    Case { argv: &["--rootfs", "{ROOT}", "--init=true", "sh", "-c", "echo $$"], want: "2\n" },
    // Harmless or honoured extras: -q, --cpu-quota as a CPU limit, local volume driver.
    Case {
        argv: &[
            "--rootfs",
            "{ROOT}",
            "-q",
            "--cpu-quota=-1",
            "--cpu-period",
            "100000",
            "--volume-driver=local",
            "--disable-content-trust",
            "--oom-kill-disable=false",
            "--memory-swappiness=-1",
            "echo",
            "ok",
        ],
        want: "ok\n",
    },
];

/// Command lines cove refuses (exit 125), and what the message must name.
const REFUSED: &[(&[&str], &str)] = &[
    (&["--device", "/dev/kvm"], "--device /dev/kvm is not supported"),
    (&["--gpus", "all"], "--gpus"),
    (&["--volumes-from", "db"], "--volumes-from db"),
    (&["--runtime=nvidia"], "--runtime nvidia"),
    (&["--device-cgroup-rule", "c 1:3 mr"], "--device-cgroup-rule"),
    (&["--storage-opt", "size=10G"], "--storage-opt"),
    (&["--annotation", "=x"], "--annotation"),
    (&["--mac-address", "02:42:ac:11:00:02"], "--mac-address"),
    (&["--pid=host"], "--pid host"),
    (&["--ipc", "host"], "--ipc host"),
    (&["--uts=host", "-h", "web01"], "conflicting options"),
    (&["--uts", "container:db"], "--uts container:db"),
    (&["--cgroupns", "host"], "--cgroupns host"),
    (&["--isolation", "hyperv"], "--isolation"),
    (&["--log-driver", "syslog"], "--log-driver syslog"),
    (&["--sysctl", "kernel.pid_max=100"], "--sysctl kernel.pid_max"),
    (&["--network", "host", "--sysctl", "net.ipv4.ip_forward=1"], "--network host"),
    (&["-v", "x:/data"], "invalid volume name \"x\""),
    (&["--mount", "type=volume,source=/tmp,target=/data"], "a volume source is a volume name"),
    (&["-v", "/etc"], "anonymous volume"),
    (&["-v", "{DIR}:/data:rshared"], "rshared"),
    (&["--mount", "type=bind,target=/data"], "source="),
    (&["--privileged"], "--privileged"),
    (&["--health-interval", "30"], "--health-interval"),
    (&["--expose", "99999"], "--expose"),
    (&["-a", "stdlog"], "--attach"),
    (&["--shm-size", "lots"], "--shm-size"),
    (&["--group-add", "no-such-group"], "--group-add no-such-group"),
    (&["--rm=maybe"], "--rm"),
    (&["--link", "db:db"], "--link db:db is not supported"),
    (&["--network-alias", "web"], "--network-alias web"),
    (&["--ip=10.0.0.9"], "--ip 10.0.0.9"),
    (&["--dns-option", "ndots:2"], "--dns-option"),
    (&["--oom-kill-disable"], "--oom-kill-disable"),
    (&["--blkio-weight", "500"], "--blkio-weight"),
    (&["--device-read-bps", "/dev/sda:1mb"], "--device-read-bps"),
    (&["--cpu-rt-runtime", "950000"], "--cpu-rt-runtime"),
    (&["--cgroup-parent", "/mine"], "--cgroup-parent /mine"),
    (&["--cpu-count", "2"], "--cpu-count"),
    (&["--use-api-socket"], "--use-api-socket"),
    (&["--volume-driver", "nfs"], "--volume-driver nfs"),
    (&["--cpus", "1", "--cpu-quota", "50000"], "conflicting options"),
    (&["--stop-signal", "SIGFOO"], "invalid --stop-signal"),
];

fn expand(a: &str, root: &Path, dir: &Path) -> String {
    a.replace("{ROOT}", &root.display().to_string()).replace("{DIR}", &dir.display().to_string())
}

fn scratch(mode: Mode) -> TestDir {
    let dir = TestDir::new(mode, "docker-cli");
    dir.write("f", "content\n");
    dir.write("labels", "# labels\ncom.example.owner=ops\n");
    dir
}

#[test]
fn docker_command_lines_work_as_typed() {
    for mode in modes() {
        let Some(root) = busybox(mode) else { continue };
        let dir = scratch(mode);
        for case in CASES {
            let argv: Vec<String> = case.argv.iter().map(|a| expand(a, root, dir.path())).collect();
            cove(mode).arg("run").args(&argv).run().ok().stdout_is(case.want);
        }
        assert!(!dir.join("g").exists(), "[{}] a write through a read-only mount reached the host", mode.label());
    }
}

#[test]
fn unsupported_flags_are_refused_naming_the_flag() {
    for mode in modes() {
        let Some(root) = busybox(mode) else { continue };
        let dir = scratch(mode);
        for (flags, needle) in REFUSED {
            let flags: Vec<String> = flags.iter().map(|a| expand(a, root, dir.path())).collect();
            let out = cove(mode).args(["run", "--rootfs"]).arg(root).args(&flags).args(["echo", "ran"]).run();
            out.code(125).stderr_has(needle);
            if out.stdout().contains("ran") {
                out.fail("no container to run");
            }
        }
    }
}

/// `--group-add` needs `setgroups`: root callers (and rootless ones with
/// subordinate ranges) get the group, others a refusal, never a silent drop.
#[test]
fn group_add_is_applied_or_refused() {
    for mode in modes() {
        let Some(root) = busybox(mode) else { continue };
        let out = cove(mode).args(["run", "--rootfs"]).arg(root).args(["--group-add", "44", "-u", "1000:1000"]);
        let out = out.args(["id", "-G"]).run();
        match mode {
            Mode::Root => {
                out.ok().stdout_is("1000 44\n");
            }
            Mode::Rootless if out.stdout().is_empty() => {
                out.cove_error("--group-add cannot be applied");
            }
            Mode::Rootless => {
                out.ok().stdout_is("1000 44\n");
            }
        }
    }
}

/// Limits in Docker's spellings parse; as root on this host they are enforced.
#[test]
fn limit_spellings() {
    if !modes().contains(&Mode::Root) {
        return skip("limit spellings", "needs root (rootless limits need cgroup delegation)");
    }
    let Some(root) = busybox(Mode::Root) else { return };
    let flags = ["--cpus=.5", "-m", "256m", "--memory=1g", "--pids-limit=100", "echo", "ok"];
    cove(Mode::Root).args(["run", "--rootfs"]).arg(root).args(flags).run().ok().stdout_is("ok\n");
}

/// `-a` shows only the streams it names, as with Docker.
#[test]
fn attach_shows_only_the_named_streams() {
    for mode in modes() {
        let Some(root) = busybox(mode) else { continue };
        let script = "echo out; echo err >&2";
        let run = |flags: &[&str]| {
            cove(mode).args(["run", "--rootfs"]).arg(root).args(flags).args(["sh", "-c", script]).run()
        };
        run(&["-a", "stdout"]).ok().stdout_is("out\n").stderr_is("");
        run(&["-a", "STDERR"]).ok().stdout_is("").stderr_is("err\n");
        run(&["-a", "stdout", "-a", "stderr"]).ok().stdout_is("out\n").stderr_is("err\n");
        // -i without -a stdin: stdin is not connected.
        let out = cove(mode).args(["run", "--rootfs"]).arg(root).args(["-i", "-a", "stdout", "cat"]).stdin("typed\n");
        out.run().ok().stdout_is("");
    }
}

/// `--uts host`: the host's hostname, visible but not changeable.
#[test]
fn uts_host_shares_the_hostname_read_only() {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").expect("read host hostname");
    for mode in modes() {
        let Some(root) = busybox(mode) else { continue };
        let script = "hostname; echo $HOSTNAME; hostname changed 2>/dev/null || echo refused";
        let out = cove(mode).args(["run", "--rootfs"]).arg(root).args(["--uts=host", "sh", "-c", script]).run();
        out.ok().stdout_is(&format!("{0}{0}refused\n", host));
    }
    let now = std::fs::read_to_string("/proc/sys/kernel/hostname").expect("read host hostname");
    assert_eq!(now, host, "a container changed the host's hostname");
}
