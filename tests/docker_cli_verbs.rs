//! Docker command lines beyond `run`'s flags, as scripts type them: named
//! volumes (`-v NAME:/p`, `--mount source=NAME`, `cove volume ...`),
//! labels with `ps --filter label=`, `ps -n/-l` and `exited=`, `--cidfile`,
//! `logs --until`, `exec --privileged`, `cove version`. Each test uses its
//! own store (`COVE_ROOT`) and removes what it started.

mod common;

use common::store::Store;
use common::*;
use std::time::Duration;

fn root_arg(mode: Mode) -> Option<String> {
    busybox(mode).map(|p| p.display().to_string())
}

#[test]
fn named_volumes_persist_between_runs() {
    for mode in modes() {
        let Some(root) = root_arg(mode) else { continue };
        let s = Store::new(mode);
        let run = |extra: &[&str], script: &str| {
            let mut args = vec!["run", "--rm", "--rootfs", &root];
            args.extend_from_slice(extra);
            args.extend_from_slice(&["sh", "-c", script]);
            s.cove(&args)
        };
        // Created on first use, kept after the container is gone.
        run(&["-v", "appdata:/data"], "echo kept > /data/f").ok();
        run(&["-v", "appdata:/data:ro"], "cat /data/f; touch /data/g 2>/dev/null || echo ro")
            .ok()
            .stdout_is("kept\nro\n");
        run(&["--mount", "type=volume,source=appdata,target=/m"], "cat /m/f").ok().stdout_is("kept\n");
        run(&["--mount", "src=appdata,dst=/m,readonly"], "cat /m/f").ok().stdout_is("kept\n");
        // A new volume starts with the root's files at the mount point.
        run(&["-v", "etcvol:/etc"], "test -f /etc/passwd && echo copied").ok().stdout_is("copied\n");
        // nocopy leaves it empty; an existing volume is never refilled.
        run(&["--mount", "type=volume,src=homes,dst=/home,volume-nocopy"], "ls /home | wc -l").ok().stdout_is("0\n");
        run(&["-v", "homes:/home"], "ls /home | wc -l").ok().stdout_is("0\n");
        run(&["-v", "homes2:/home"], "ls /home").ok().stdout_is("app\n");
        s.cove(&["volume", "ls", "-q"]).ok().stdout_is("appdata\netcvol\nhomes\nhomes2\n");
        s.cove(&["volume", "ls"]).ok().stdout_has("DRIVER").stdout_has("local    appdata");
        let mp = s.cove(&["volume", "inspect", "-f", "{{.Mountpoint}}", "appdata"]);
        mp.ok();
        let data = std::fs::read_to_string(format!("{}/f", mp.stdout().trim())).expect("volume data on the host");
        assert_eq!(data, "kept\n");
        let json: serde_json::Value =
            serde_json::from_str(&s.cove(&["volume", "inspect", "appdata"]).stdout()).unwrap();
        assert_eq!((json[0]["Name"].as_str(), json[0]["Driver"].as_str()), (Some("appdata"), Some("local")));
        // Bad names are refused, not taken for host paths.
        run(&["-v", "a:/data"], "true").cove_error("invalid volume name");
        s.cove(&["volume", "rm", "appdata", "nosuch"])
            .code(1)
            .stdout_is("appdata\n")
            .stderr_has("No such volume: nosuch");
        s.cove(&["volume", "inspect", "appdata"]).code(1).stderr_has("No such volume: appdata");
        // A fresh volume of the same name is empty.
        run(&["-v", "appdata:/data"], "ls /data | wc -l").ok().stdout_is("0\n");
    }
}

#[test]
fn volume_verbs_and_in_use_refusal() {
    for mode in modes() {
        let Some(root) = root_arg(mode) else { continue };
        let s = Store::new(mode);
        s.cove(&["volume", "create", "--label", "team=db", "dbdata"]).ok().stdout_is("dbdata\n");
        // Docker's create is idempotent.
        s.cove(&["volume", "create", "dbdata"]).ok().stdout_is("dbdata\n");
        let anon = s.cove(&["volume", "create"]);
        anon.ok();
        assert_eq!(anon.stdout().trim().len(), 64, "{}", anon.desc);
        s.cove(&["volume", "ls", "-q", "--filter", "label=team=db"]).ok().stdout_is("dbdata\n");
        s.cove(&["volume", "ls", "--format", "{{.Name}} {{.Labels}}", "-f", "name=dbdat"])
            .ok()
            .stdout_is("dbdata team=db\n");
        s.cove(&["volume", "create", "-o", "type=nfs", "x1"]).cove_error("not supported");
        s.cove(&["inspect", "--type", "volume", "-f", "{{.Driver}} {{.Labels.team}}", "dbdata"])
            .ok()
            .stdout_is("local db\n");
        s.cove(&["inspect", "-f", "{{.Name}}", "dbdata"]).ok().stdout_is("dbdata\n");
        s.cove(&["inspect", "--type", "volume", "nosuch"]).code(1).stderr_has("No such volume: nosuch");
        let sleeper = s.sleeper();
        let run = ["run", "-d", "--name", "db", "--rootfs", &root, "-v", "dbdata:/var/db", "sh", "-c", &sleeper];
        s.cove(&run).ok();
        s.cove(&["volume", "rm", "dbdata"]).code(1).stderr_has("in use");
        s.cove(&["volume", "ls", "-q", "-f", "dangling=false"]).ok().stdout_is("dbdata\n");
        s.cove(&["volume", "prune", "-f"]).ok().stdout_has("Total reclaimed space: 0B");
        let pruned = s.cove(&["volume", "prune", "-a", "-f"]);
        pruned.ok().stdout_has(anon.stdout().trim());
        assert!(!pruned.stdout().contains("dbdata"), "{}: pruned a volume in use", pruned.desc);
        s.cove(&["rm", "-f", "db"]).ok();
        s.cove(&["volume", "rm", "dbdata"]).ok().stdout_is("dbdata\n");
        s.cove(&["volume", "ls", "-q"]).ok().stdout_is("");
    }
}

#[test]
fn labels_and_ps_filters() {
    for mode in modes() {
        let s = Store::new(mode);
        let dir = TestDir::new(mode, "labels");
        let file = dir.write("labels", "# team labels\nfrom=file\nteam=overridden\n");
        let sleeper = s.sleeper();
        let file = file.display().to_string();
        s.cove(&["run", "-d", "--name", "ta", "--label-file", &file, "-l", "team=x", "--", "sh", "-c", &sleeper]).ok();
        s.cove(&["run", "-d", "--name", "gone", "--", "sh", "-c", "exit 3"]).ok();
        s.cove(&["wait", "gone"]).ok().stdout_is("3\n");
        s.cove(&["create", "--name", "tb", "--label", "team=y", "--", "true"]).ok();
        s.cove(&["inspect", "-f", "{{json .Config.Labels}}", "ta"])
            .ok()
            .stdout_is("{\"from\":\"file\",\"team\":\"x\"}\n");
        let names = |filters: &[&str]| {
            let mut args = vec!["ps", "-a", "--format", "{{.Names}}"];
            args.extend_from_slice(filters);
            s.cove(&args)
        };
        names(&["--filter", "label=team=x"]).ok().stdout_is("ta\n");
        names(&["--filter", "label=team"]).ok().stdout_is("tb\nta\n");
        // One key's values are alternatives; different keys must all match.
        names(&["-f", "label=team=x", "-f", "label=team=y"]).ok().stdout_is("tb\nta\n");
        names(&["-f", "label=team", "-f", "status=created"]).ok().stdout_is("tb\n");
        names(&["--filter", "exited=3"]).ok().stdout_is("gone\n");
        s.cove(&["ps", "-l", "--format", "{{.Names}}"]).ok().stdout_is("tb\n");
        s.cove(&["ps", "-n", "2", "--format", "{{.Names}} {{.Labels}}"]).ok().stdout_is("tb team=y\ngone \n");
        let pruned = s.cove(&["container", "prune", "-f", "--filter", "label=team=y", "--filter", "until=1h"]);
        pruned.ok().stdout_has("Total reclaimed space: ");
        s.cove(&["container", "prune", "-f", "--filter", "label!=team"]).ok().stdout_has("Total reclaimed space: ");
        names(&[]).ok().stdout_is("tb\nta\n");
        s.cove(&["container", "prune", "-f", "--filter", "label=team=y"]).ok().stdout_has("Deleted Containers:\n");
        names(&[]).ok().stdout_is("ta\n");
        s.cove(&["ps", "--filter", "colour=red"]).cove_error("invalid --filter");
        s.cove(&["ps", "-s"]).cove_error("ps --size is not supported");
        let stats = s.cove_with(
            &["stats", "--no-stream", "--format", "table {{.Name}}\t{{.PIDs}}", "ta"],
            Duration::from_secs(20),
        );
        stats.ok().stdout_has("NAME      PIDS\nta        ");
        s.cove(&["ps", "--filter", "status=sleeping"]).cove_error("status is one of");
    }
}

#[test]
fn cidfile_logs_until_exec_privileged() {
    for mode in modes() {
        let s = Store::new(mode);
        let dir = TestDir::new(mode, "cidfile");
        let cid = dir.join("cid").display().to_string();
        let script = format!("echo hello; {}", s.sleeper());
        let out = s.cove(&["run", "-d", "--cidfile", &cid, "--name", "cid1", "--", "sh", "-c", &script]);
        out.ok();
        assert_eq!(std::fs::read_to_string(&cid).unwrap(), out.stdout().trim(), "{}", out.desc);
        s.cove(&["run", "-d", "--cidfile", &cid, "--", "true"]).cove_error("container ID file found");
        assert_eq!(s.ids().len(), 1, "a refused --cidfile run left a container");
        s.until("cid1", Duration::from_secs(5), |v| v["State"]["Running"] == true);
        let hello = |until: &str| {
            let end = std::time::Instant::now() + Duration::from_secs(5);
            loop {
                let l = s.cove(&["logs", "--until", until, "cid1"]);
                if l.stdout() == "hello\n" || std::time::Instant::now() > end {
                    return l;
                }
            }
        };
        hello("2999-01-01T00:00:00Z").ok().stdout_is("hello\n");
        s.cove(&["logs", "--until", "2000-01-01T00:00:00Z", "cid1"]).ok().stdout_is("");
        s.cove(&["logs", "--until", "soon", "cid1"]).cove_error("invalid --until");
        s.cove(&["exec", "--privileged", "cid1", "true"]).cove_error("exec --privileged is not supported");
        s.cove(&["run", "--name", "cid1", "--", "true"]).cove_error("already in use");
        // Docker 20.10+: force-removing what does not exist succeeds.
        s.cove(&["rm", "-f", "no-such-ctr"]).ok().stdout_is("");
        s.cove(&["rm", "no-such-ctr"]).code(1).stderr_has("No such container: no-such-ctr");
        s.cove(&["rmi", "-f", "no-such-image"]).ok();
        s.cove(&["rmi", "no-such-image"]).code(1).stderr_has("No such image: no-such-image");
        s.cove(&["exec", "-e", "K=v", "-w", "/tmp", "cid1", "sh", "-c", "echo $K; pwd"]).ok().stdout_is("v\n/tmp\n");
        let envf = dir.write("env", "# exec env\nA=1\nB=two words\n").display().to_string();
        let exec = ["exec", "--env-file", &envf, "-e", "A=override", "cid1", "sh", "-c", "echo $A $B"];
        s.cove(&exec).ok().stdout_is("override two words\n");
    }
}

#[test]
fn version_like_docker() {
    let mode = modes()[0];
    let out = cove(mode).args(["version", "--format", "json"]).run();
    out.ok();
    let v: serde_json::Value = serde_json::from_str(&out.stdout()).unwrap_or_else(|e| out.fail(&format!("JSON: {e}")));
    let version = v["Client"]["Version"].as_str().unwrap_or_default().to_owned();
    cove(mode).arg("--version").run().ok().stdout_is(&format!("cove {version}\n"));
    cove(mode).args(["version", "-f", "{{.Server.Version}}"]).run().ok().stdout_is(&format!("{version}\n"));
    cove(mode).arg("version").run().ok().stdout_has("Client:").stdout_has(&format!("Version:           {version}"));
    cove(mode).args(["info", "--format", "{{.ServerVersion}}"]).run().ok().stdout_is(&format!("{version}\n"));
}

/// The busybox fixture as a one-layer OCI layout, imported as `bbtest:1`.
fn import_busybox(s: &Store, root: &std::path::Path, dir: &TestDir) {
    use sha2::{Digest as _, Sha256};
    let blobs = dir.mkdir("layout/blobs/sha256");
    let put = |bytes: &[u8]| {
        let hex = hex::encode(Sha256::digest(bytes));
        std::fs::write(blobs.join(&hex), bytes).unwrap();
        (format!("sha256:{hex}"), bytes.len())
    };
    let mut b = tar::Builder::new(Vec::new());
    b.follow_symlinks(false);
    b.append_dir_all(".", root).unwrap();
    let (layer, layer_size) = put(&b.into_inner().unwrap());
    let arch = if cfg!(target_arch = "aarch64") { "arm64" } else { "amd64" };
    let config = serde_json::json!({"architecture": arch, "os": "linux",
        "config": {"Cmd": ["sh"], "Env": ["PATH=/bin:/sbin:/usr/bin"], "Labels": {"kind": "fixture"}},
        "rootfs": {"type": "layers", "diff_ids": [layer]}});
    let (config, config_size) = put(config.to_string().as_bytes());
    let manifest = serde_json::json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": config_size},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer, "size": layer_size}]});
    let (manifest, manifest_size) = put(manifest.to_string().as_bytes());
    let index = serde_json::json!({"schemaVersion": 2, "manifests": [{"mediaType":
        "application/vnd.oci.image.manifest.v1+json", "digest": manifest, "size": manifest_size}]});
    dir.write("layout/index.json", index.to_string());
    dir.write("layout/oci-layout", r#"{"imageLayoutVersion":"1.0.0"}"#);
    let layout = dir.join("layout").display().to_string();
    s.cove(&["import", &layout, "--tag", "bbtest:1"]).ok();
}

#[test]
fn image_filters_and_inspect_keys() {
    for mode in modes() {
        let Some(root) = busybox(mode) else { continue };
        let s = Store::new(mode);
        let dir = TestDir::new(mode, "bbimage");
        import_busybox(&s, root, &dir);
        s.cove(&["images", "--filter", "reference=bbtest*", "--format", "json"]).ok().stdout_has("\"bbtest\"");
        let ids = s.cove(&["images", "-a", "-f", "reference=bbtest:1", "-f", "label=kind=fixture", "-q"]);
        assert_eq!(ids.ok().lines().len(), 1, "{}", ids.desc);
        s.cove(&["images", "-f", "reference=alpine*", "-q"]).ok().stdout_is("");
        // NAME@DIGEST finds the image by its manifest digest.
        let digests = s.cove(&["image", "inspect", "-f", "{{index .RepoDigests 0}}", "bbtest:1"]);
        let by_digest = digests.ok().stdout().trim().to_owned();
        assert!(by_digest.contains("bbtest@sha256:"), "{}", digests.desc);
        s.cove(&["run", "--rm", "--pull", "never", &by_digest, "echo", "by digest"]).ok().stdout_is("by digest\n");
        s.cove(&["images", "--format", "{{.Repository}}:{{.Tag}}"]).ok().stdout_is("bbtest:1\n");
        s.cove(&["image", "ls", "--format", "table {{.Repository}}\t{{.Tag}}"])
            .ok()
            .stdout_is("REPOSITORY   TAG\nbbtest       1\n");
        s.cove(&["images", "-f", "dangling=true", "-q"]).ok().stdout_is("");
        s.cove(&["images", "-f", "size=1"]).cove_error("invalid --filter");
        s.cove(&["image", "inspect", "-f", "{{.Os}} {{json .RepoTags}}", "bbtest:1"])
            .ok()
            .stdout_is("linux [\"bbtest:1\"]\n");
        // A new named volume over the image's /etc gets the image's files.
        let host = dir.mkdir("host").display().to_string();
        let sleeper = s.sleeper();
        let run = ["run", "-d", "--name", "withvol", "-v", "cfg:/etc", "-v", &format!("{host}:/host:ro")];
        s.cove(&[&run[..], &["bbtest:1", "sh", "-c", &sleeper]].concat()).ok();
        s.cove(&["exec", "withvol", "sh", "-c", "test -f /etc/passwd && echo copied"]).ok().stdout_is("copied\n");
        let v = s.inspect("withvol");
        let mounts = v["Mounts"].as_array().cloned().unwrap_or_default();
        let kinds: Vec<(&str, &str, bool)> = mounts
            .iter()
            .map(|m| (m["Type"].as_str().unwrap(), m["Destination"].as_str().unwrap(), m["RW"] == true))
            .collect();
        assert!(kinds.contains(&("volume", "/etc", true)) && kinds.contains(&("bind", "/host", false)), "{v:#}");
        let net = (v["HostConfig"]["NetworkMode"].as_str(), v["NetworkSettings"]["IPAddress"].as_str());
        assert!(matches!(net, (Some("bridge"), Some("10.0.2.100")) | (Some("none"), Some(""))), "{v:#}");
        let named = s.cove(&["run", "--rm", "-h", "named", "--network", "bridge", "bbtest:1", "cat", "/etc/hostname"]);
        match named.code {
            Some(125) => skip("/etc/hostname", "the bridge network is not usable here"),
            _ => {
                named.ok().stdout_is("named\n");
            }
        }
        s.cove(&["ps", "--filter", "ancestor=bbtest:1", "--format", "{{.Names}}"]).ok().stdout_is("withvol\n");
        // Docker's template idioms for addresses, labels and mounts.
        let ip = v["NetworkSettings"]["IPAddress"].as_str().unwrap_or_default();
        let t = "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}|{{range .Mounts}}{{if .Name}}{{.Name}}{{end}}{{end}}|{{index .Config.Labels \"k\"}}";
        s.cove(&["inspect", "-f", t, "withvol"]).ok().stdout_is(&format!("{ip}|cfg|\n"));
        s.cove(&["ps", "--format", "table {{.Names}}\t{{.State}}"])
            .ok()
            .stdout_is("NAMES     STATE\nwithvol   running\n");
        s.cove(&["ps", "--filter", "ancestor=busybox", "-q"]).ok().stdout_is("");
        // system prune: stopped containers go, an image a container uses stays.
        s.cove(&["create", "--name", "stale", "bbtest:1", "true"]).ok();
        s.cove(&["system", "prune", "-a", "-f"]).ok().stdout_has("Deleted Containers:\n");
        s.cove(&["ps", "-a", "--format", "{{.Names}}"]).ok().stdout_is("withvol\n");
        let left = s.cove(&["images", "--format", "json"]);
        left.ok().stdout_has("\"bbtest\"");
    }
}

/// `stop` with several containers stops them at the same time, as Docker.
#[test]
fn stop_several_in_parallel() {
    for mode in modes() {
        let s = Store::new(mode);
        let sleeper = s.sleeper();
        for name in ["p1", "p2", "p3"] {
            s.cove(&["run", "-d", "--name", name, "--", "sh", "-c", &sleeper]).ok();
        }
        let started = std::time::Instant::now();
        s.cove(&["stop", "-t", "2", "p1", "p2", "nosuch", "p3"]).code(1).stdout_is("p1\np2\np3\n").stderr_has("nosuch");
        // sh as pid 1 ignores SIGTERM: each takes the 2 s timeout; in turn would be 6 s.
        assert!(started.elapsed() < Duration::from_secs(5), "stop took {:?}", started.elapsed());
        s.cove(&["ps", "-q"]).ok().stdout_is("");
    }
}
