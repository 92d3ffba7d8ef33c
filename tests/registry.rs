//! Pulling from a real registry (issue 4): Debian's `docker-registry` on
//! 127.0.0.1, images pushed by the tests' own pusher (and once by skopeo),
//! pulled and run by cove as root and rootless. Every registry, proxy and
//! token server dies with its test (hard deadlines, killed on drop).
//! Faults (kills, corruption, full disks, flaky servers) are in
//! `registry_faults.rs`.

mod common;
#[path = "registry_support/env.rs"]
mod env;
#[path = "image_support/fixture.rs"]
mod fixture;
#[path = "registry_support/push.rs"]
mod push;
#[path = "registry_support/server.rs"]
mod server;

use common::*;
use env::*;
use fixture::*;
use push::*;
use server::*;
use std::time::Duration;

#[test]
fn pull_by_tag_and_digest_then_run() {
    let Some(rootfs) = rootfs() else { return };
    let Some(reg) = Registry::start(Auth::Anonymous) else { return };
    let image = build(rootfs, "hello from the registry", host_arch(), 0);
    Pusher::new(&reg.host, None).image("test/app", "1", &image);
    let name = format!("{}/test/app:1", reg.host);
    for mode in modes() {
        let dir = scratch(mode, "pull-tag");
        let out = cove_in(mode, &dir).args(["pull", &name]).run();
        out.ok()
            .stdout_has("1: Pulling from test/app\n")
            .stdout_has(&format!("Digest: {}\n", image.digest()))
            .stdout_has(&format!("Status: Downloaded newer image for {name}\n"));
        cove_in(mode, &dir)
            .args(["pull", &name])
            .run()
            .ok()
            .stdout_has(&format!("Status: Image is up to date for {name}"));
        cove_in(mode, &dir).args(["pull", "-q", &name]).run().ok().stdout_is(&format!("{name}\n"));
        cove_in(mode, &dir).args(["run", "--pull", "never", &name]).run().ok().stdout_is("hello from the registry\n");

        let by_digest = format!("{}/test/app@{}", reg.host, image.digest());
        cove_in(mode, &dir).args(["pull", &by_digest]).run().ok().stdout_has(&format!("Digest: {}", image.digest()));
        cove_in(mode, &dir)
            .args(["run", "--pull", "never", &by_digest, "sh", "-c", "cat /etc/marker"])
            .run()
            .ok()
            .stdout_is("hello from the registry\n");
        let listed = cove_in(mode, &dir).args(["images", "--format", "json"]).run();
        let list: serde_json::Value = serde_json::from_str(&listed.ok().stdout()).unwrap();
        // As Docker: the digest names the image already pulled by tag (one
        // row, its tag kept), not a second image.
        assert_eq!(list.as_array().map(Vec::len), Some(1), "{}: {list}", listed.desc);
        assert_eq!(list[0]["tag"], "1", "{list}");

        // A wrong digest is unknown to the registry.
        let wrong = format!("{}/test/app@{}", reg.host, sha(b"no such manifest"));
        cove_in(mode, &dir).args(["pull", &wrong]).run().cove_error("manifest unknown");
    }
}

#[test]
fn run_pulls_a_missing_image_and_never_means_never() {
    let Some(rootfs) = rootfs() else { return };
    let Some(reg) = Registry::start(Auth::Anonymous) else { return };
    Pusher::new(&reg.host, None).image("test/run", "v1", &build(rootfs, "pulled by run", host_arch(), 0));
    let name = format!("{}/test/run:v1", reg.host);
    for mode in modes() {
        let dir = scratch(mode, "pull-run");
        cove_in(mode, &dir).args(["run", "--pull", "never", &name]).run().cove_error("image not found locally");
        let out = cove_in(mode, &dir).args(["run", &name]).run();
        out.ok().stdout_is("pulled by run\n").stderr_has(&format!("Unable to find image '{name}' locally"));
        out.stderr_has("Status: Downloaded newer image");
        cove_in(mode, &dir).args(["run", "--pull", "always", &name]).run().ok().stdout_is("pulled by run\n");
        let missing = format!("{}/test/run:nope", reg.host);
        cove_in(mode, &dir).args(["run", &missing]).run().cove_error("manifest unknown");
        cove_in(mode, &dir)
            .args(["pull", &format!("{}/test/run:v1", free_port_host())])
            .run()
            .cove_error("cannot reach registry");
    }
}

/// `127.0.0.1:PORT` where nothing listens.
fn free_port_host() -> String {
    format!("127.0.0.1:{}", free_port())
}

#[test]
fn index_picks_the_host_platform_or_the_asked_one() {
    let Some(rootfs) = rootfs() else { return };
    let Some(reg) = Registry::start(Auth::Anonymous) else { return };
    let other = if host_arch() == "arm64" { "s390x" } else { "arm64" };
    // Both use the host's busybox so either can run; only the labels differ.
    let for_other = build(rootfs, &format!("image for {other}"), other, 0);
    let for_host = build(rootfs, "image for the host", host_arch(), 0);
    let pusher = Pusher::new(&reg.host, None);
    pusher.image("test/multi", "other-only", &for_other);
    pusher.image("test/multi", "host-only", &for_host);
    let idx = index(&[(&for_other, "linux", other, Some("v8")), (&for_host, "linux", host_arch(), None)]);
    pusher.manifest("test/multi", "1", INDEX, &idx);
    let name = format!("{}/test/multi:1", reg.host);
    for mode in modes() {
        let dir = scratch(mode, "pull-index");
        cove_in(mode, &dir).args(["pull", &name]).run().ok().stdout_has(&format!("Digest: {}", sha(&idx)));
        cove_in(mode, &dir).args(["run", "--pull", "never", &name]).run().ok().stdout_is("image for the host\n");
        let platform = format!("linux/{other}");
        cove_in(mode, &dir).args(["pull", "--platform", &platform, &name]).run().ok();
        cove_in(mode, &dir)
            .args(["run", "--pull", "never", &name])
            .run()
            .ok()
            .stdout_is(&format!("image for {other}\n"));
        cove_in(mode, &dir)
            .args(["pull", "--platform", "linux/riscv64", &name])
            .run()
            .cove_error("no image for linux/riscv64");
        // A single-platform image for another platform is refused too.
        let single = format!("{}/test/multi:other-only", reg.host);
        cove_in(mode, &dir)
            .args(["pull", "--platform", &format!("linux/{}", host_arch()), &single])
            .run()
            .cove_error("no image for");
    }
}

#[test]
fn basic_auth_with_login_and_logout() {
    let Some(rootfs) = rootfs() else { return };
    let Some(reg) = Registry::start(Auth::Basic("tester", "s3cret-pw")) else { return };
    let pusher = Pusher::new(&reg.host, Some(format!("Basic {}", b64(b"tester:s3cret-pw", false))));
    pusher.image("test/private", "1", &build(rootfs, "private image", host_arch(), 0));
    let name = format!("{}/test/private:1", reg.host);
    for mode in modes() {
        let dir = scratch(mode, "pull-basic");
        cove_in(mode, &dir).args(["pull", &name]).run().cove_error(&format!("cove login {}", reg.host));
        cove_in(mode, &dir)
            .args(["login", "-u", "tester", "--password-stdin", &reg.host])
            .stdin("wrong-password\n")
            .run()
            .cove_error("unauthorized");
        assert!(!dir.join("docker/config.json").exists(), "a refused login stored credentials");
        cove_in(mode, &dir)
            .args(["login", "-u", "tester", "--password-stdin", &reg.host])
            .stdin("s3cret-pw\n")
            .run()
            .ok()
            .stdout_is("Login Succeeded\n");
        let config = dir.join("docker/config.json");
        let meta = std::fs::metadata(&config).expect("config.json written");
        assert_eq!(std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o777, 0o600);
        assert!(std::fs::read_to_string(&config).unwrap().contains(&b64(b"tester:s3cret-pw", false)));
        cove_in(mode, &dir).args(["run", &name]).run().ok().stdout_is("private image\n");
        cove_in(mode, &dir)
            .args(["logout", &reg.host])
            .run()
            .ok()
            .stdout_is(&format!("Removing login credentials for {}\n", reg.host));
        cove_in(mode, &dir).args(["pull", &name]).run().cove_error("unauthorized");
    }
}

/// Issue 4: `credsStore`/`credHelpers` in config.json: `cove login`
/// stores through `docker-credential-NAME store` (nothing secret in the
/// file), pulls get the secret from `get`, `logout` calls `erase`, and a
/// per-registry helper wins over `credsStore`.
#[test]
fn credential_helpers_store_and_supply_basic_auth() {
    let Some(rootfs) = rootfs() else { return };
    let Some(reg) = Registry::start(Auth::Basic("tester", "helper-pw")) else { return };
    let pusher = Pusher::new(&reg.host, Some(format!("Basic {}", b64(b"tester:helper-pw", false))));
    pusher.image("test/helped", "1", &build(rootfs, "helped image", host_arch(), 0));
    let name = format!("{}/test/helped:1", reg.host);
    for mode in modes() {
        let dir = scratch(mode, "pull-helper");
        let bin = dir.mkdir("bin");
        let saved = dir.join("bin/saved.json");
        let script = format!(
            "#!/bin/sh\ncase \"$1\" in\n\
             get) read url; if grep -q \"\\\"ServerURL\\\":\\\"$url\\\"\" {s} 2>/dev/null; then cat {s}; \
             else echo 'credentials not found in native keychain'; exit 1; fi;;\n\
             store) cat > {s};;\nerase) rm {s} || exit 1;;\nesac\n",
            s = saved.display()
        );
        let helper = dir.write("bin/docker-credential-covetest", script);
        std::fs::set_permissions(&helper, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        let path = format!("{}:/usr/sbin:/usr/bin:/sbin:/bin", bin.display());
        let with_helper = || cove_in(mode, &dir).env("PATH", &path);
        dir.write("docker/config.json", r#"{"credsStore":"covetest"}"#);
        with_helper().args(["pull", &name]).run().cove_error("unauthorized");
        with_helper()
            .args(["login", "-u", "tester", "--password-stdin", &reg.host])
            .stdin("helper-pw\n")
            .run()
            .ok()
            .stdout_is("Login Succeeded\n");
        let stored = std::fs::read_to_string(&saved).expect("the helper's store was called");
        assert!(stored.contains("\"Secret\":\"helper-pw\""), "helper got: {stored}");
        let config = std::fs::read_to_string(dir.join("docker/config.json")).unwrap();
        assert!(!config.contains(&b64(b"tester:helper-pw", false)), "secret written to config.json: {config}");
        with_helper().args(["run", &name]).run().ok().stdout_is("helped image\n");
        // credHelpers names the helper for this registry; the broken store is not asked.
        let per_registry = format!(r#"{{"credsStore":"missing-helper","credHelpers":{{"{}":"covetest"}}}}"#, reg.host);
        dir.write("docker/config.json", per_registry);
        with_helper().args(["pull", &name]).run().ok().stdout_has("Image is up to date");
        dir.write("docker/config.json", r#"{"credsStore":"missing-helper"}"#);
        with_helper().args(["pull", &name]).run().cove_error("docker-credential-missing-helper");
        dir.write("docker/config.json", r#"{"credsStore":"covetest"}"#);
        with_helper().args(["logout", &reg.host]).run().ok();
        assert!(!saved.exists(), "logout did not erase through the helper");
        with_helper().args(["pull", &name]).run().cove_error("unauthorized");
    }
}

#[test]
fn bearer_token_auth() {
    let Some(rootfs) = rootfs() else { return };
    let Some(tokens) = TokenServer::start("tok-user", "tok-pw") else { return };
    let token_host = tokens.host.clone();
    let Some(reg) = Registry::start(Auth::Token(tokens)) else { return };
    let push_token = token_for(&token_host, "test/tok", "pull,push");
    Pusher::new(&reg.host, Some(format!("Bearer {push_token}"))).image(
        "test/tok",
        "1",
        &build(rootfs, "token image", host_arch(), 0),
    );
    let name = format!("{}/test/tok:1", reg.host);
    for mode in modes() {
        let dir = scratch(mode, "pull-token");
        cove_in(mode, &dir).args(["pull", &name]).run().cove_error("unauthorized");
        cove_in(mode, &dir).args(["login", "-u", "tok-user", "-p", "nope", &reg.host]).run().cove_error("unauthorized");
        cove_in(mode, &dir).args(["login", "-u", "tok-user", "-p", "tok-pw", &reg.host]).run().ok();
        cove_in(mode, &dir).args(["run", &name]).run().ok().stdout_is("token image\n");
    }
    let seen = reg.token.as_ref().unwrap().requests.lock().unwrap().join("");
    assert!(seen.contains("scope=repository%3Atest%2Ftok%3Apull"), "token requests: {seen}");
    assert!(seen.contains(&format!("service={SERVICE}")), "token requests: {seen}");
}

fn token_for(token_host: &str, repo: &str, actions: &str) -> String {
    let agent = ureq::Agent::config_builder().timeout_global(Some(Duration::from_secs(20))).build().new_agent();
    let mut resp = agent
        .get(format!("http://{token_host}/token"))
        .query("service", SERVICE)
        .query("scope", format!("repository:{repo}:{actions}"))
        .header("Authorization", format!("Basic {}", b64(b"tok-user:tok-pw", false)))
        .call()
        .expect("token");
    let v: serde_json::Value = serde_json::from_slice(&resp.body_mut().read_to_vec().unwrap()).unwrap();
    v["token"].as_str().unwrap().to_owned()
}

#[test]
fn image_pushed_by_skopeo() {
    let Some(rootfs) = rootfs() else { return };
    if !have("skopeo", "skopeo") {
        return;
    }
    let Some(reg) = Registry::start(Auth::Anonymous) else { return };
    let work = TestDir::new(Mode::Root, "skopeo");
    let oci = layout(&work, "oci", "v1", &build(rootfs, "pushed by skopeo", host_arch(), 0));
    let dest = format!("docker://{}/test/skopeo:v1", reg.host);
    run_host(
        std::process::Command::new("timeout")
            .args(["-s", "KILL", "60", "skopeo", "copy", "--dest-tls-verify=false"])
            .arg(format!("oci:{}:v1", oci.display()))
            .arg(&dest),
    );
    let name = format!("{}/test/skopeo:v1", reg.host);
    for mode in modes() {
        let dir = scratch(mode, "pull-skopeo");
        cove_in(mode, &dir).args(["run", &name]).run().ok().stdout_is("pushed by skopeo\n");
    }
}

#[test]
fn https_registry_with_an_untrusted_certificate_is_refused() {
    let Some(reg) = Registry::start_with(Auth::Anonymous, true) else { return };
    let name = format!("{}/test/tls:1", reg.host);
    for mode in modes() {
        let dir = scratch(mode, "pull-tls");
        // Loopback may use plain HTTP, but a server that speaks TLS with a
        // certificate that does not verify is never used.
        cove_in(mode, &dir).args(["pull", &name]).run().cove_error("its TLS certificate is not trusted");
        cove_in(mode, &dir).args(["images", "-q"]).run().ok().stdout_is("");
    }
}
