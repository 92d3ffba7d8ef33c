//! The container's resource limits (`/proc/PID/limits` of its first
//! process), read by cove and applied by the joining process before it
//! forks, so that an exec runs under the same rlimits as the container.

use rustix::process::{Resource, Rlimit};

/// One limit: which, soft, hard (`None`: unlimited).
pub type Limit = (Resource, Rlimit);

/// `/proc/PID/limits` names (proc(5); the kernel prints them in a 25-wide
/// column) and their resources.
const NAMES: &[(&str, Resource)] = &[
    ("Max cpu time", Resource::Cpu),
    ("Max file size", Resource::Fsize),
    ("Max data size", Resource::Data),
    ("Max stack size", Resource::Stack),
    ("Max core file size", Resource::Core),
    ("Max resident set", Resource::Rss),
    ("Max processes", Resource::Nproc),
    ("Max open files", Resource::Nofile),
    ("Max locked memory", Resource::Memlock),
    ("Max address space", Resource::As),
    ("Max file locks", Resource::Locks),
    ("Max pending signals", Resource::Sigpending),
    ("Max msgqueue size", Resource::Msgqueue),
    ("Max nice priority", Resource::Nice),
    ("Max realtime priority", Resource::Rtprio),
    ("Max realtime timeout", Resource::Rttime),
];

/// Parses `/proc/PID/limits`; lines it does not know are left out.
pub fn parse(text: &str) -> Vec<Limit> {
    text.lines()
        .filter_map(|line| {
            let (name, resource) = NAMES.iter().find(|(name, _)| line.starts_with(name))?;
            let mut values = line[name.len()..].split_whitespace();
            let value = |v: &str| if v == "unlimited" { Ok(None) } else { v.parse::<u64>().map(Some) };
            let current = value(values.next()?).ok()?;
            let maximum = value(values.next()?).ok()?;
            Some((*resource, Rlimit { current, maximum }))
        })
        .collect()
}

/// The name of `resource` for error messages.
pub fn name(resource: Resource) -> &'static str {
    NAMES.iter().find(|(_, r)| *r == resource).map_or("limit", |(n, _)| n)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
Limit                     Soft Limit           Hard Limit           Units     
Max cpu time              unlimited            unlimited            seconds   
Max file size             unlimited            unlimited            bytes     
Max processes             63936                63936                processes 
Max open files            1024                 524288               files     
Max realtime timeout      unlimited            unlimited            us        
Max nice priority         0                    0                    
";

    #[test]
    fn parses_soft_and_hard_limits() {
        let got = parse(SAMPLE);
        assert_eq!(got.len(), 6);
        assert!(got.contains(&(Resource::Nofile, Rlimit { current: Some(1024), maximum: Some(524288) })));
        assert!(got.contains(&(Resource::Cpu, Rlimit { current: None, maximum: None })));
        assert!(got.contains(&(Resource::Nproc, Rlimit { current: Some(63936), maximum: Some(63936) })));
        assert!(got.contains(&(Resource::Nice, Rlimit { current: Some(0), maximum: Some(0) })));
        assert_eq!(name(Resource::Nofile), "Max open files");
    }

    #[test]
    fn the_live_file_parses_completely() {
        let text = std::fs::read_to_string("/proc/self/limits").unwrap();
        assert_eq!(parse(&text).len(), NAMES.len(), "every limit of {text}");
    }
}
