//! `--ulimit NAME=SOFT[:HARD]` with Docker's resource names, parsed into
//! portable values that each backend maps to its own (Linux: `prlimit(2)`
//! `RLIMIT_*`; macOS: `setrlimit`).

use serde::{Deserialize, Serialize};

/// No limit (`-1` on the command line; `RLIM_INFINITY` on Linux).
pub const UNLIMITED: u64 = u64::MAX;

/// A resource `--ulimit` can limit, by Docker's names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[allow(missing_docs)]
pub enum Resource {
    Core,
    Cpu,
    Data,
    Fsize,
    Locks,
    Memlock,
    Msgqueue,
    Nice,
    Nofile,
    Nproc,
    Rss,
    Rtprio,
    Rttime,
    Sigpending,
    Stack,
    As,
}

/// Every resource with its name.
pub const RESOURCES: [(Resource, &str); 16] = [
    (Resource::Core, "core"),
    (Resource::Cpu, "cpu"),
    (Resource::Data, "data"),
    (Resource::Fsize, "fsize"),
    (Resource::Locks, "locks"),
    (Resource::Memlock, "memlock"),
    (Resource::Msgqueue, "msgqueue"),
    (Resource::Nice, "nice"),
    (Resource::Nofile, "nofile"),
    (Resource::Nproc, "nproc"),
    (Resource::Rss, "rss"),
    (Resource::Rtprio, "rtprio"),
    (Resource::Rttime, "rttime"),
    (Resource::Sigpending, "sigpending"),
    (Resource::Stack, "stack"),
    (Resource::As, "as"),
];

impl Resource {
    /// Docker's name (`nofile`).
    pub fn name(self) -> &'static str {
        RESOURCES.iter().find(|(r, _)| *r == self).map_or("?", |(_, n)| n)
    }
}

/// One `--ulimit`: soft and hard values ([`UNLIMITED`] for none).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rlimit {
    /// The resource.
    pub resource: Resource,
    /// The soft limit.
    pub soft: u64,
    /// The hard limit (the soft one when not given).
    pub hard: u64,
}

/// A `--ulimit` that is not `NAME=SOFT[:HARD]` with a known name.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum UlimitError {
    /// Not `NAME=VALUE`.
    #[error("invalid --ulimit {0:?}: expected NAME=SOFT[:HARD], e.g. nofile=1024:2048")]
    Syntax(String),
    /// A name Docker does not know.
    #[error(
        "invalid --ulimit {0:?}: unknown name (known: core cpu data fsize locks memlock msgqueue nice nofile nproc rss rtprio rttime sigpending stack as)"
    )]
    Name(String),
    /// A value that is not a number or -1.
    #[error("invalid --ulimit {0:?}: values are numbers, or -1 for unlimited")]
    Value(String),
    /// Soft above hard.
    #[error("invalid --ulimit {0:?}: the soft limit is above the hard limit")]
    SoftAboveHard(String),
}

/// Parses `NAME=SOFT[:HARD]`.
pub fn parse(text: &str) -> Result<Rlimit, UlimitError> {
    let (name, values) = text.split_once('=').ok_or_else(|| UlimitError::Syntax(text.to_owned()))?;
    let resource = RESOURCES
        .iter()
        .find(|(_, n)| *n == name)
        .map(|(r, _)| *r)
        .ok_or_else(|| UlimitError::Name(text.to_owned()))?;
    let value = |v: &str| match v {
        "-1" => Ok(UNLIMITED),
        v => v.parse::<u64>().map_err(|_| UlimitError::Value(text.to_owned())),
    };
    let (soft, hard) = match values.split_once(':') {
        Some((s, h)) => (value(s)?, value(h)?),
        None => (value(values)?, value(values)?),
    };
    if soft > hard {
        return Err(UlimitError::SoftAboveHard(text.to_owned()));
    }
    Ok(Rlimit { resource, soft, hard })
}

/// Parses every `--ulimit`; for a name given twice the last one wins.
pub fn parse_all(texts: &[String]) -> Result<Vec<Rlimit>, UlimitError> {
    let mut out: Vec<Rlimit> = Vec::new();
    for t in texts {
        let r = parse(t)?;
        out.retain(|o| o.resource != r.resource);
        out.push(r);
    }
    out.sort_by_key(|r| r.resource);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_syntax() {
        assert_eq!(parse("nofile=1024:2048"), Ok(Rlimit { resource: Resource::Nofile, soft: 1024, hard: 2048 }));
        assert_eq!(parse("core=0"), Ok(Rlimit { resource: Resource::Core, soft: 0, hard: 0 }));
        assert_eq!(parse("memlock=-1:-1").unwrap().hard, UNLIMITED);
        assert_eq!(parse("stack=8192:-1").unwrap(), Rlimit { resource: Resource::Stack, soft: 8192, hard: UNLIMITED });
        assert_eq!(Resource::As.name(), "as");
    }

    #[test]
    fn refusals() {
        assert!(matches!(parse("nofile"), Err(UlimitError::Syntax(_))));
        assert!(matches!(parse("files=1"), Err(UlimitError::Name(_))));
        assert!(matches!(parse("nofile=x"), Err(UlimitError::Value(_))));
        assert!(matches!(parse("nofile=-2"), Err(UlimitError::Value(_))));
        assert!(matches!(parse("nofile=10:5"), Err(UlimitError::SoftAboveHard(_))));
        assert!(matches!(parse("nofile=-1:5"), Err(UlimitError::SoftAboveHard(_))));
    }

    #[test]
    fn last_wins() {
        let all = parse_all(&["nproc=5".into(), "nofile=10".into(), "nofile=20:30".into()]).unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0], Rlimit { resource: Resource::Nofile, soft: 20, hard: 30 });
        assert_eq!(all[1].resource, Resource::Nproc);
    }
}
