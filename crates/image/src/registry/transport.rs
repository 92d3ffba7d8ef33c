//! One registry session: the scheme it may use, the HTTP agent (rustls with
//! the system's certificates), requests retried with backoff, and the
//! `Authorization` header, renewed once when a request meets a challenge.

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use ureq::http::Response;
use ureq::tls::{RootCerts, TlsConfig};
use ureq::{Agent, Body};

use super::RegistryError;
use super::auth::{self, Challenge};
use super::credentials::{self, Credentials};

/// Transient failures are retried this many times (after the first try).
const RETRIES: u32 = 3;
/// The first wait before a retry; doubled each time.
const BACKOFF: Duration = Duration::from_millis(250);
/// The most bytes read from an error or JSON body.
pub(super) const SMALL_BODY: u64 = 4 << 20;

/// How to reach registries.
#[derive(Debug, Clone, Default)]
pub struct ClientOptions {
    /// Registries (`host` or `host:port`) that may be used over plain HTTP
    /// besides loopback ones (`COVE_INSECURE_REGISTRIES`, comma-separated).
    pub insecure: Vec<String>,
    /// Docker's credentials file, when there is a place for one.
    pub credentials_file: Option<PathBuf>,
}

impl ClientOptions {
    /// From the environment: `COVE_INSECURE_REGISTRIES`, and
    /// `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`.
    pub fn from_env() -> Self {
        let insecure = std::env::var("COVE_INSECURE_REGISTRIES").unwrap_or_default();
        ClientOptions {
            insecure: insecure.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect(),
            credentials_file: credentials::config_path(),
        }
    }
}

/// A connection to one registry, for one repository (the token scope).
pub(super) struct Session {
    agent: Agent,
    /// The registry as named in references (`docker.io`, `localhost:5000`).
    pub registry: String,
    /// `https://host[:port]` or `http://…`.
    pub base: String,
    scope: Option<String>,
    credentials: Option<Credentials>,
    authorization: Mutex<Option<String>>,
    retries: u32,
}

impl Session {
    /// Connects to `registry` for `repository` (pull scope), with the
    /// credentials given or stored for it: HTTPS first, plain HTTP only
    /// where allowed (see the module docs of `registry`).
    pub fn connect(
        registry: &str,
        repository: Option<&str>,
        credentials: Option<Credentials>,
        options: &ClientOptions,
    ) -> Result<Session, RegistryError> {
        let credentials = match (credentials, &options.credentials_file) {
            (Some(c), _) => Some(c),
            (None, Some(file)) => credentials::lookup(file, registry)?,
            (None, None) => None,
        };
        let host = api_host(registry);
        let mut session = Session {
            agent: agent(),
            registry: registry.to_owned(),
            base: format!("https://{host}"),
            scope: repository.map(|r| format!("repository:{r}:pull")),
            credentials,
            authorization: Mutex::new(None),
            retries: RETRIES,
        };
        if !plain_http_allowed(registry, &options.insecure) {
            session.ping()?;
            return Ok(session);
        }
        // One quick HTTPS try (a plain HTTP server fails the handshake at
        // once); an untrusted certificate is refused, not a reason for HTTP.
        session.retries = 0;
        let https = session.ping();
        session.retries = RETRIES;
        if let Err(RegistryError::Unreachable { .. }) = https {
            session.base = format!("http://{host}");
            session.ping()?;
        } else {
            https?;
        }
        Ok(session)
    }

    /// `GET /v2/`: answers a challenge right away; any other answer is
    /// left for the requests that follow.
    fn ping(&self) -> Result<(), RegistryError> {
        let url = format!("{}/v2/", self.base);
        self.get(&url, &[]).map(drop)
    }

    /// Whether the current authorization is accepted by `GET /v2/`.
    pub fn check_login(&self) -> Result<(), RegistryError> {
        let url = format!("{}/v2/", self.base);
        let response = self.get(&url, &[])?;
        match response.status().as_u16() {
            401 => Err(self.unauthorized(response)),
            _ => Ok(()),
        }
    }

    /// GET `url` with `headers`: transient failures (connection errors,
    /// 429, 5xx) are retried with backoff, and one 401 with a challenge is
    /// answered and the request repeated. Other statuses are returned.
    pub fn get(&self, url: &str, headers: &[(&str, &str)]) -> Result<Response<Body>, RegistryError> {
        let mut attempt = 0;
        let mut answered = false;
        loop {
            let mut request = self.agent.get(url);
            for (k, v) in headers {
                request = request.header(*k, *v);
            }
            if let Some(value) = self.authorization.lock().expect("auth lock").clone() {
                request = request.header("Authorization", value);
            }
            match request.call() {
                Ok(r) if r.status() == 401 && !answered && r.headers().contains_key("www-authenticate") => {
                    answered = true;
                    self.answer(&r)?;
                }
                Ok(r) if matches!(r.status().as_u16(), 429 | 500..=599) && attempt < self.retries => {
                    backoff(&mut attempt)
                }
                Ok(r) => return Ok(r),
                Err(e) if transient(&e) && attempt < self.retries => backoff(&mut attempt),
                Err(e) => return Err(self.failed(url, e)),
            }
        }
    }

    /// Answers the challenge of a 401 response: basic credentials, or a
    /// bearer token fetched from the challenge's realm.
    fn answer(&self, response: &Response<Body>) -> Result<(), RegistryError> {
        let headers = response.headers().get_all("www-authenticate");
        let texts: Vec<&str> = headers.iter().filter_map(|h| h.to_str().ok()).collect();
        let challenge = texts
            .iter()
            .find_map(|t| Challenge::parse(t))
            .ok_or_else(|| RegistryError::Challenge { registry: self.registry.clone(), challenge: texts.join(", ") })?;
        let value = match challenge {
            Challenge::Basic => match &self.credentials {
                Some(c) => c.basic_header(),
                None => return Err(self.unauthorized_detail(": no credentials stored for it".to_owned())),
            },
            Challenge::Bearer { realm, service, scope } => {
                let scope = scope.or_else(|| self.scope.clone());
                let token = auth::fetch_token(
                    &self.agent,
                    &self.registry,
                    &realm,
                    service.as_deref(),
                    scope.as_deref(),
                    self.credentials.as_ref(),
                )?;
                format!("Bearer {token}")
            }
        };
        *self.authorization.lock().expect("auth lock") = Some(value);
        Ok(())
    }

    /// The error for a 401 that survived the challenge.
    pub fn unauthorized(&self, response: Response<Body>) -> RegistryError {
        self.unauthorized_detail(error_detail(response))
    }

    fn unauthorized_detail(&self, detail: String) -> RegistryError {
        RegistryError::Unauthorized { registry: self.registry.clone(), detail }
    }

    /// The error for a failed request.
    fn failed(&self, url: &str, source: ureq::Error) -> RegistryError {
        if let Some(rustls::Error::InvalidCertificate(_)) = tls_error(&source) {
            return RegistryError::UntrustedCertificate { registry: self.registry.clone(), source };
        }
        RegistryError::Unreachable { registry: self.registry.clone(), url: url.to_owned(), source }
    }

    /// Maps an unexpected status to an error.
    pub fn status_error(&self, url: &str, response: Response<Body>, what: &str) -> RegistryError {
        match response.status().as_u16() {
            401 => self.unauthorized(response),
            403 => RegistryError::Denied { registry: self.registry.clone(), what: what.to_owned() },
            status => RegistryError::Status {
                registry: self.registry.clone(),
                url: url.to_owned(),
                status,
                body: error_detail(response),
            },
        }
    }
}

/// Checks `credentials` against `registry` (as `docker login` does) and,
/// when they are accepted, stores them in the credentials file.
pub fn login(registry: &str, credentials: Credentials, options: &ClientOptions) -> Result<PathBuf, RegistryError> {
    let file = options.credentials_file.clone().ok_or(credentials::CredentialsError::NoHome)?;
    let session = Session::connect(registry, None, Some(credentials.clone()), options)?;
    session.check_login()?;
    credentials::store(&file, registry, &credentials)?;
    Ok(file)
}

/// The agent: rustls with the platform's verifier, statuses returned as
/// responses, no automatic decompression, read timeouts so a stalled
/// server ends in an error instead of a hang.
fn agent() -> Agent {
    let tls = TlsConfig::builder().root_certs(RootCerts::PlatformVerifier).build();
    Agent::config_builder()
        .tls_config(tls)
        .http_status_as_error(false)
        .user_agent(concat!("cove/", env!("CARGO_PKG_VERSION")))
        .timeout_connect(Some(Duration::from_secs(15)))
        .timeout_recv_response(Some(Duration::from_secs(60)))
        .timeout_per_read(Some(Duration::from_secs(60)))
        .max_redirects(10)
        .build()
        .new_agent()
}

/// Where the API of `registry` lives (Docker Hub's is not at `docker.io`).
fn api_host(registry: &str) -> &str {
    if registry == crate::reference::DOCKER_HUB { "registry-1.docker.io" } else { registry }
}

/// Plain HTTP is allowed for loopback registries (as Docker does) and for
/// those listed as insecure.
pub(super) fn plain_http_allowed(registry: &str, insecure: &[String]) -> bool {
    let host = match registry.rsplit_once(':') {
        Some((h, port)) if !h.ends_with(':') && port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => registry,
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    loopback || insecure.iter().any(|i| i == registry || i == host)
}

/// Connection-level failures worth another try (not TLS failures: those
/// repeat the same way).
fn transient(e: &ureq::Error) -> bool {
    let connection = matches!(e, ureq::Error::Io(_) | ureq::Error::ConnectionFailed | ureq::Error::Timeout(_));
    connection && tls_error(e).is_none()
}

/// The rustls error inside `e` (ureq reports handshake failures as I/O
/// errors wrapping it).
fn tls_error(e: &ureq::Error) -> Option<&rustls::Error> {
    match e {
        ureq::Error::Rustls(inner) => Some(inner),
        ureq::Error::Io(io) => io.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>()),
        _ => None,
    }
}

fn backoff(attempt: &mut u32) {
    std::thread::sleep(BACKOFF * 2u32.pow(*attempt));
    *attempt += 1;
}

/// `: message` from a registry error body (`{"errors":[{"message":…}]}`),
/// or empty.
pub(super) fn error_detail(response: Response<Body>) -> String {
    let Ok(bytes) = response.into_body().with_config().limit(SMALL_BODY).read_to_vec() else {
        return String::new();
    };
    let parsed: Option<serde_json::Value> = serde_json::from_slice(&bytes).ok();
    let message = parsed
        .as_ref()
        .and_then(|v| v["errors"][0]["message"].as_str().or_else(|| v["details"].as_str()))
        .map(str::to_owned)
        .unwrap_or_else(|| String::from_utf8_lossy(&bytes).chars().take(200).collect());
    let message = message.trim();
    if message.is_empty() { String::new() } else { format!(": {message}") }
}

#[cfg(test)]
mod tests {
    use super::plain_http_allowed;

    #[test]
    fn plain_http_only_for_loopback_and_listed_registries() {
        let none: Vec<String> = Vec::new();
        for ok in ["localhost", "localhost:5000", "127.0.0.1:5000", "127.1.2.3", "[::1]:5000", "::1"] {
            assert!(plain_http_allowed(ok, &none), "{ok}");
        }
        for no in ["example.com", "example.com:5000", "10.0.0.1:5000", "localhost.example.com", "docker.io"] {
            assert!(!plain_http_allowed(no, &none), "{no}");
        }
        let listed = vec!["reg.lan:5000".to_owned(), "10.0.0.1".to_owned()];
        assert!(plain_http_allowed("reg.lan:5000", &listed));
        assert!(plain_http_allowed("10.0.0.1:5000", &listed));
        assert!(!plain_http_allowed("reg.lan", &listed));
    }
}
