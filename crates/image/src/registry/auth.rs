//! Authentication challenges (`WWW-Authenticate`, RFC 7235) and bearer
//! tokens (the distribution token protocol: `GET realm?service=…&scope=…`,
//! with basic credentials when there are any).

use ureq::Agent;

use super::RegistryError;
use super::credentials::Credentials;
use super::transport::{SMALL_BODY, error_detail};

/// A challenge cove can answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Challenge {
    /// `Basic realm=…`: send the stored credentials.
    Basic,
    /// `Bearer realm=…,service=…,scope=…`: fetch a token from `realm`.
    Bearer {
        /// The token endpoint.
        realm: String,
        /// The `service` parameter, when given.
        service: Option<String>,
        /// The `scope` parameter, when given.
        scope: Option<String>,
    },
}

impl Challenge {
    /// Parses one `WWW-Authenticate` value; `None` for schemes cove does
    /// not answer or a bearer challenge without a realm.
    pub fn parse(header: &str) -> Option<Challenge> {
        let header = header.trim();
        let (scheme, rest) = header.split_once(char::is_whitespace).unwrap_or((header, ""));
        let params = parse_params(rest)?;
        let get = |k: &str| params.iter().find(|(key, _)| key.eq_ignore_ascii_case(k)).map(|(_, v)| v.clone());
        if scheme.eq_ignore_ascii_case("basic") {
            Some(Challenge::Basic)
        } else if scheme.eq_ignore_ascii_case("bearer") {
            Some(Challenge::Bearer { realm: get("realm")?, service: get("service"), scope: get("scope") })
        } else {
            None
        }
    }
}

/// `key=value` or `key="quoted, \"value\""` pairs separated by commas.
fn parse_params(s: &str) -> Option<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace() || *c == ',') {
            chars.next();
        }
        if chars.peek().is_none() {
            return Some(out);
        }
        let key: String = std::iter::from_fn(|| chars.next_if(|c| *c != '=' && *c != ',')).collect();
        if chars.next() != Some('=') {
            return None;
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut value = String::new();
        if chars.next_if_eq(&'"').is_some() {
            loop {
                match chars.next()? {
                    '"' => break,
                    '\\' => value.push(chars.next()?),
                    c => value.push(c),
                }
            }
        } else {
            value.extend(std::iter::from_fn(|| chars.next_if(|c| *c != ',')));
        }
        out.push((key.trim().to_owned(), value.trim().to_owned()));
    }
}

#[derive(serde::Deserialize)]
struct TokenResponse {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    access_token: Option<String>,
}

/// Fetches a bearer token from `realm` (basic credentials when given).
pub(super) fn fetch_token(
    agent: &Agent,
    registry: &str,
    realm: &str,
    service: Option<&str>,
    scope: Option<&str>,
    credentials: Option<&Credentials>,
) -> Result<String, RegistryError> {
    let mut request = agent.get(realm);
    if let Some(s) = service {
        request = request.query("service", s);
    }
    if let Some(s) = scope {
        request = request.query("scope", s);
    }
    if let Some(c) = credentials {
        request = request.header("Authorization", c.basic_header());
    }
    let unreachable =
        |source| RegistryError::Unreachable { registry: registry.to_owned(), url: realm.to_owned(), source };
    let response = request.call().map_err(unreachable)?;
    match response.status().as_u16() {
        200 => {}
        401 | 403 => {
            return Err(RegistryError::Unauthorized { registry: registry.to_owned(), detail: error_detail(response) });
        }
        status => {
            let body = error_detail(response);
            return Err(RegistryError::Status { registry: registry.to_owned(), url: realm.to_owned(), status, body });
        }
    }
    let bytes = response.into_body().with_config().limit(SMALL_BODY).read_to_vec().map_err(unreachable)?;
    let json = |source| RegistryError::Json { what: "token response", registry: registry.to_owned(), source };
    let parsed: TokenResponse = serde_json::from_slice(&bytes).map_err(json)?;
    parsed.token.or(parsed.access_token).filter(|t| !t.is_empty()).ok_or_else(|| RegistryError::Challenge {
        registry: registry.to_owned(),
        challenge: format!("the token endpoint {realm} returned no token"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_docker_hub_bearer_challenge() {
        let c = Challenge::parse(
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull,push""#,
        );
        assert_eq!(
            c,
            Some(Challenge::Bearer {
                realm: "https://auth.docker.io/token".into(),
                service: Some("registry.docker.io".into()),
                scope: Some("repository:library/alpine:pull,push".into()),
            })
        );
    }

    #[test]
    fn parses_basic_and_odd_spacing() {
        assert_eq!(Challenge::parse(r#"Basic realm="Registry Realm""#), Some(Challenge::Basic));
        assert_eq!(Challenge::parse("basic"), Some(Challenge::Basic));
        let c = Challenge::parse(r#"bearer  realm = "http://x/t" , service=reg"#);
        assert_eq!(c, Some(Challenge::Bearer { realm: "http://x/t".into(), service: Some("reg".into()), scope: None }));
        assert_eq!(
            Challenge::parse(r#"Bearer realm="a\"b""#),
            Some(Challenge::Bearer { realm: "a\"b".into(), service: None, scope: None })
        );
    }

    #[test]
    fn refuses_unknown_or_broken_challenges() {
        assert_eq!(Challenge::parse(r#"Negotiate abc"#), None);
        assert_eq!(Challenge::parse(r#"Bearer service="x""#), None, "no realm");
        assert_eq!(Challenge::parse(r#"Bearer realm="unterminated"#), None);
        assert_eq!(Challenge::parse(r#"Bearer realm"#), None);
    }
}
