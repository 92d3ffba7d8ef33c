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
        let slow = ["--health-cmd", "sleep 10", "--health-timeout", "300ms", "--health-interval", "500ms"];
        s.cove(
            &[&["run", "-d", "--name", "slow"][..], &slow, &["--health-retries", "1", "--", "sh", "-c", &sleeper]]
                .concat(),
        )
        .ok();
        let v = s.until("slow", LIMIT, |v| health(v) == "unhealthy");
        let first = &v["State"]["Health"]["Log"][0];
        assert_eq!(first["ExitCode"], -1, "{v:#}");
        assert!(first["Output"].as_str().unwrap().contains("exceeded timeout"), "{v:#}");
        s.cove(&["run", "-d", "--name", "plain", "--no-healthcheck", "--", "sh", "-c", &sleeper]).ok();
        let v = s.inspect("plain");
        assert!(v["State"].get("Health").is_none(), "{v:#}");
        s.cove(&["ps", "--format", "{{.Names}}", "--filter", "health=none"]).ok().stdout_is("plain\n");
        s.cove(&["run", "-d", "--no-healthcheck", "--health-cmd", "true", "--", "true"]).code(125);
        s.cove(&["rm", "-f", "slow", "plain"]).ok();
        s.assert_no_processes();
    }
}
