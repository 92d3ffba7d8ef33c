//! Health checks of stored containers (`--health-cmd` and friends, issue
//! 5): the monitor runs the check in the container every interval and
//! records `State.Health`; `ps` shows it and filters on it.

mod common;

use common::store::Store;
use common::*;
use serde_json::Value;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(20);

fn health(v: &Value) -> &str {
    v["State"]["Health"]["Status"].as_str().unwrap_or("")
}

#[test]
fn health_goes_starting_unhealthy_healthy() {
    for mode in modes() {
        let s = Store::new(mode);
        let flag = unique("/tmp/cove-health");
        let check = format!("test -f {flag} && echo fine");
        let sleeper = s.sleeper();
        let run = ["run", "-d", "--name", "hc", "--health-cmd", &check, "--health-interval", "1s"];
        s.cove(&[&run[..], &["--health-retries", "3", "--", "sh", "-c", &sleeper]].concat()).ok();
        // Three failures are needed: right after the start it is starting.
        let v = s.inspect("hc");
        assert_eq!(health(&v), "starting", "{v:#}");
        assert_eq!(v["Config"]["Healthcheck"]["Test"], serde_json::json!(["CMD-SHELL", check]));
        let v = s.until("hc", LIMIT, |v| health(v) == "unhealthy");
        assert!(v["State"]["Health"]["FailingStreak"].as_u64() >= Some(3), "{v:#}");
        let log = v["State"]["Health"]["Log"].as_array().unwrap();
        assert!(log.iter().all(|r| r["ExitCode"] == 1), "{v:#}");
        s.cove(&["ps", "--format", "{{.Names}} {{.Status}}"]).ok().stdout_has("(unhealthy)");
        s.cove(&["ps", "-q", "--filter", "health=unhealthy"]).ok().stdout_has(&v["Id"].as_str().unwrap()[..12]);
        s.cove(&["ps", "-q", "--filter", "health=healthy"]).ok().stdout_is("");
        // The check passes once the file exists.
        s.cove(&["exec", "hc", "touch", &flag]).ok();
        let v = s.until("hc", LIMIT, |v| health(v) == "healthy");
        assert_eq!(v["State"]["Health"]["FailingStreak"], 0, "{v:#}");
        let log = v["State"]["Health"]["Log"].as_array().unwrap();
        assert!(log.len() <= 5, "at most five results kept: {v:#}");
        assert_eq!(log.last().unwrap()["Output"], "fine\n", "{v:#}");
        s.cove(&["ps", "--format", "{{.Status}}"]).ok().stdout_has("(healthy)");
        s.cove(&["ps", "--format", "{{.Names}}", "--filter", "health=healthy"]).ok().stdout_is("hc\n");
        s.cove(&["ps", "--filter", "health=sick"]).code(125).stderr_has("health is one of");
        s.cove(&["rm", "-f", "hc"]).ok();
        s.assert_no_processes();
    }
}

#[test]
fn health_timeout_and_no_healthcheck() {
    for mode in modes() {
        let s = Store::new(mode);
        let sleeper = s.sleeper();
        let slow = ["--health-cmd", "sleep 10.4321", "--health-timeout", "300ms", "--health-interval", "500ms"];
        s.cove(
            &[&["run", "-d", "--name", "slow"][..], &slow, &["--health-retries", "1", "--", "sh", "-c", &sleeper]]
                .concat(),
        )
        .ok();
        let v = s.until("slow", LIMIT, |v| health(v) == "unhealthy");
        let first = &v["State"]["Health"]["Log"][0];
        assert_eq!(first["ExitCode"], -1, "{v:#}");
        assert!(first["Output"].as_str().unwrap().contains("exceeded timeout"), "{v:#}");
        // A timed-out probe is killed with its children: at most the
        // `sleep` of the one in flight runs, not one left per probe.
        std::thread::sleep(Duration::from_secs(2));
        let left: Vec<_> = processes_with("10.4321").into_iter().filter(|(_, c)| c.starts_with("sleep")).collect();
        assert!(left.len() <= 1, "timed-out probes left behind: {left:?}");
        s.cove(&["run", "-d", "--name", "plain", "--no-healthcheck", "--", "sh", "-c", &sleeper]).ok();
        let v = s.inspect("plain");
        assert!(v["State"].get("Health").is_none(), "{v:#}");
        s.cove(&["ps", "--format", "{{.Names}}", "--filter", "health=none"]).ok().stdout_is("plain\n");
        s.cove(&["run", "-d", "--no-healthcheck", "--health-cmd", "true", "--", "true"]).code(125);
        s.cove(&["rm", "-f", "slow", "plain"]).ok();
        s.assert_no_processes();
    }
}

/// An OCI layout under `dir/NAME` of the busybox fixture whose config has
/// a `Healthcheck` (`CMD` form: no shell added).
fn layout_with_healthcheck(dir: &TestDir, rootfs: &std::path::Path) -> std::path::PathBuf {
    use sha2::Digest as _;
    let blob = |bytes: &[u8], media: &str| {
        let digest = format!("sha256:{}", hex::encode(sha2::Sha256::digest(bytes)));
        dir.write(&format!("layout/blobs/sha256/{}", &digest[7..]), bytes);
        serde_json::json!({ "mediaType": media, "digest": digest, "size": bytes.len() })
    };
    let mut tar = tar::Builder::new(Vec::new());
    tar.mode(tar::HeaderMode::Deterministic);
    tar.follow_symlinks(false);
    tar.append_dir_all(".", rootfs).unwrap();
    let layer = tar.into_inner().unwrap();
    let layer_desc = blob(&layer, "application/vnd.oci.image.layer.v1.tar");
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    let config = serde_json::json!({
        "architecture": arch, "os": "linux",
        "config": {
            "Cmd": ["sh"], "Env": ["PATH=/bin:/usr/bin"],
            "Healthcheck": { "Test": ["CMD", "test", "-f", "/tmp/ready"], "Interval": 500_000_000u64, "Retries": 1 },
        },
        "rootfs": { "type": "layers", "diff_ids": [layer_desc["digest"]] },
    });
    let manifest = serde_json::json!({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": blob(config.to_string().as_bytes(), "application/vnd.oci.image.config.v1+json"),
        "layers": [layer_desc],
    });
    let entry = blob(manifest.to_string().as_bytes(), "application/vnd.oci.image.manifest.v1+json");
    let index = serde_json::json!({ "schemaVersion": 2, "manifests": [entry] });
    dir.write("layout/oci-layout", r#"{"imageLayoutVersion":"1.0.0"}"#);
    dir.write("layout/index.json", index.to_string());
    dir.join("layout")
}

#[test]
fn image_healthcheck_applies_unless_turned_off() {
    for mode in modes() {
        let Some(rootfs) = busybox(mode) else { continue };
        let s = Store::new(mode);
        let dir = TestDir::new(mode, "health-image");
        let layout = layout_with_healthcheck(&dir, rootfs);
        s.cove(&["import", layout.to_str().unwrap(), "--tag", "test/hc:1"]).ok();
        let sleeper = s.sleeper();
        let run = s.cove(&["run", "-d", "--name", "img", "test/hc:1", "sh", "-c", &sleeper]);
        if run.stderr().contains("overlayfs") {
            skip("image health check", "stored containers of images need overlayfs in a user namespace");
            continue;
        }
        run.ok();
        let v = s.until("img", LIMIT, |v| health(v) == "unhealthy");
        assert_eq!(v["Config"]["Healthcheck"]["Test"], serde_json::json!(["CMD", "test", "-f", "/tmp/ready"]));
        s.cove(&["exec", "img", "touch", "/tmp/ready"]).ok();
        s.until("img", LIMIT, |v| health(v) == "healthy");
        // A flag replaces one setting; the image's test stays.
        s.cove(&["create", "--name", "slower", "--health-interval", "1m", "test/hc:1"]).ok();
        let v = s.inspect("slower");
        assert_eq!(v["Config"]["Healthcheck"]["Interval"], 60_000_000_000u64, "{v:#}");
        assert_eq!(v["Config"]["Healthcheck"]["Test"][0], "CMD", "{v:#}");
        s.cove(&["create", "--name", "off", "--no-healthcheck", "test/hc:1"]).ok();
        assert!(s.inspect("off")["Config"].get("Healthcheck").is_none());
        // Never started: no health yet (Docker's `none`), as without a check.
        s.cove(&["ps", "-a", "--format", "{{.Names}}", "--filter", "health=none"]).ok().stdout_is("off\nslower\n");
        s.cove(&["rm", "-f", "img", "slower", "off"]).ok();
        s.assert_no_processes();
    }
}
