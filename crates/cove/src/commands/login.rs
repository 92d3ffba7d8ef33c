//! `cove login` and `cove logout`: credentials in Docker's config.json.

use crate::cli::{LoginArgs, LogoutArgs};
use crate::output;
use anyhow::{Context, bail};
use cove_image::registry::credentials::{self, Credentials, CredentialsError};
use cove_image::registry::{ClientOptions, login as check_and_store};
use std::io::{BufRead, IsTerminal, Read};

/// Checks the credentials with the registry and stores them.
pub fn login(args: LoginArgs) -> anyhow::Result<i32> {
    let registry = server(args.server.as_deref());
    let username = match args.username {
        Some(u) => u,
        None if args.password_stdin => bail!("--password-stdin needs --username"),
        None => prompt("Username: ")?,
    };
    let password = match (args.password, args.password_stdin) {
        (Some(p), _) => {
            output::password_on_command_line();
            p
        }
        (None, true) => {
            let mut text = String::new();
            std::io::stdin().read_to_string(&mut text).context("read the password from stdin")?;
            text.trim_end_matches(['\n', '\r']).to_owned()
        }
        (None, false) => prompt_hidden("Password: ")?,
    };
    if username.is_empty() || password.is_empty() {
        bail!("login to {registry}: the user name and password must not be empty");
    }
    let file = check_and_store(&registry, Credentials { username, password }, &ClientOptions::from_env())
        .with_context(|| format!("login to {registry}"))?;
    output::logged_in(&file);
    Ok(0)
}

/// Removes the stored credentials.
pub fn logout(args: LogoutArgs) -> anyhow::Result<i32> {
    let registry = server(args.server.as_deref());
    let file = credentials::config_path().ok_or(CredentialsError::NoHome)?;
    let removed = credentials::remove(&file, &registry).with_context(|| format!("logout from {registry}"))?;
    output::logged_out(&registry, removed);
    Ok(0)
}

/// The registry a SERVER argument names: scheme and path dropped, Docker
/// Hub's several names folded into `docker.io`.
fn server(arg: Option<&str>) -> String {
    let Some(arg) = arg else { return cove_image::reference::DOCKER_HUB.to_owned() };
    let s = arg.strip_prefix("https://").or_else(|| arg.strip_prefix("http://")).unwrap_or(arg);
    let host = s.split('/').next().unwrap_or(s);
    match host {
        "index.docker.io" | "registry-1.docker.io" | "docker.io" => cove_image::reference::DOCKER_HUB.to_owned(),
        other => other.to_owned(),
    }
}

/// One line from stdin after a prompt on stderr (when stdin is a terminal).
fn prompt(label: &str) -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        output::prompt(label);
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).context("read from stdin")?;
    Ok(line.trim_end_matches(['\n', '\r']).to_owned())
}

/// [`prompt`] with the terminal's echo off while the line is typed.
#[cfg(unix)]
fn prompt_hidden(label: &str) -> anyhow::Result<String> {
    use rustix::termios::{LocalModes, OptionalActions, tcgetattr, tcsetattr};
    let stdin = std::io::stdin();
    let Ok(saved) = tcgetattr(&stdin) else { return prompt(label) };
    let mut quiet = saved.clone();
    quiet.local_modes.remove(LocalModes::ECHO);
    tcsetattr(&stdin, OptionalActions::Now, &quiet).context("turn off terminal echo")?;
    let line = prompt(label);
    // Restore echo whatever happened; a failure here is reported after the line.
    let restored = tcsetattr(&stdin, OptionalActions::Now, &saved);
    output::prompt("\n");
    restored.context("restore terminal echo")?;
    line
}

/// [`prompt`] (no terminal control on this platform).
#[cfg(not(unix))]
fn prompt_hidden(label: &str) -> anyhow::Result<String> {
    prompt(label)
}
