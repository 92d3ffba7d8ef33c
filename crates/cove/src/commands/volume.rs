//! `cove volume create|ls|inspect|rm|prune` over `volumes.rs`.

use crate::cli::{VolumeCommand, VolumeCreateArgs, VolumeLsArgs, VolumePruneArgs, VolumeRmArgs};
use crate::output::{self, Exit, volumes as print};
use crate::volumes::{self, Volume};
use anyhow::{bail, ensure};
use std::collections::BTreeMap;

/// Runs one `volume` verb.
pub fn run(command: VolumeCommand) -> anyhow::Result<i32> {
    match command {
        VolumeCommand::Create(args) => create(args),
        VolumeCommand::Ls(args) => ls(args),
        VolumeCommand::Inspect(args) => {
            let mut found = Vec::new();
            let mut code = 0;
            for name in &args.names {
                match volumes::get(name)? {
                    Some(v) => found.push(v),
                    None => code = missing(name),
                }
            }
            print::inspect(&found, args.format.as_deref())?;
            Ok(code)
        }
        VolumeCommand::Rm(args) => rm(args),
        VolumeCommand::Prune(args) => prune(args),
    }
}

fn missing(name: &str) -> i32 {
    output::error(&Exit { code: 1, message: format!("No such volume: {name}") }.into())
}

fn create(args: VolumeCreateArgs) -> anyhow::Result<i32> {
    ensure!(args.driver == "local", "volume driver {:?} is not supported: only local", args.driver);
    if let Some(o) = args.opt.first() {
        bail!("volume option {o:?} is not supported: local volumes are plain directories in cove's store");
    }
    let labels = labels(&args.label)?;
    let (v, _) = volumes::create(args.name.as_deref(), labels)?;
    println!("{}", v.name);
    Ok(0)
}

fn labels(list: &[String]) -> anyhow::Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for l in list {
        let (k, v) = l.split_once('=').unwrap_or((l, ""));
        ensure!(!k.is_empty(), "invalid --label {l:?}: expected KEY=VALUE");
        out.insert(k.to_owned(), v.to_owned());
    }
    Ok(out)
}

fn ls(args: VolumeLsArgs) -> anyhow::Result<i32> {
    let filters = parse_filters(&args.filter, &["name", "label", "dangling", "driver"])?;
    let used = in_use()?;
    let rows: Vec<Volume> =
        volumes::list()?.into_iter().filter(|v| keep(&filters, v, used.contains(&v.name))).collect();
    print::ls(&rows, &args.format, args.quiet)?;
    Ok(0)
}

fn parse_filters(list: &[String], keys: &[&str]) -> anyhow::Result<Vec<(String, String)>> {
    list.iter()
        .map(|f| match f.split_once('=') {
            Some((k, v)) if keys.contains(&k) => Ok((k.to_owned(), v.to_owned())),
            _ => bail!("invalid --filter {f:?}: use KEY=VALUE with KEY one of {}", keys.join(", ")),
        })
        .collect()
}

/// Values of one key are alternatives; different keys all apply (Docker).
fn keep(filters: &[(String, String)], v: &Volume, used: bool) -> bool {
    ["name", "label", "dangling", "driver"].iter().all(|key| {
        let mut values = filters.iter().filter(|(k, _)| k == key).map(|(_, x)| x.as_str()).peekable();
        values.peek().is_none()
            || values.any(|want| match *key {
                "name" => v.name.contains(want),
                "label" => match want.split_once('=') {
                    Some((k, x)) => v.meta.labels.get(k).is_some_and(|have| have == x),
                    None => v.meta.labels.contains_key(want),
                },
                "dangling" => matches!(want, "true" | "1") != used,
                _ => want == "local",
            })
    })
}

fn rm(args: VolumeRmArgs) -> anyhow::Result<i32> {
    let used = in_use()?;
    let mut code = 0;
    for name in &args.names {
        let result = match volumes::get(name)? {
            None => Err(Exit { code: 1, message: format!("No such volume: {name}") }.into()),
            Some(_) if used.contains(name) && !args.force => Err(Exit {
                code: 1,
                message: format!(
                    "remove {name}: volume is in use by a stored container\nhint: cove rm the container first"
                ),
            }
            .into()),
            Some(v) => volumes::remove(&v),
        };
        match result {
            Ok(()) => println!("{name}"),
            Err(e) => code = output::error(&e),
        }
    }
    Ok(code)
}

fn prune(args: VolumePruneArgs) -> anyhow::Result<i32> {
    let filters = parse_filters(&args.filter, &["label"])?;
    let used = in_use()?;
    let mut reclaimed = 0;
    println!("Deleted Volumes:");
    // Without -a Docker 23+ removes anonymous volumes only; cove's
    // anonymous volumes are tmpfs mounts that end with their container.
    if args.all {
        for v in volumes::list()? {
            if used.contains(&v.name) || !keep(&filters, &v, false) {
                continue;
            }
            let size = volumes::size(&v);
            match volumes::remove(&v) {
                Ok(()) => {
                    println!("{}", v.name);
                    reclaimed += size;
                }
                Err(e) => return Err(e),
            }
        }
    }
    println!("\nTotal reclaimed space: {}", output::human_size(reclaimed));
    Ok(0)
}

/// Names of the volumes that stored containers mount.
#[cfg(target_os = "linux")]
fn in_use() -> anyhow::Result<Vec<String>> {
    use cove_core::spec::MountSpec;
    let (store, _) = crate::containers::open()?;
    let mut out = Vec::new();
    for c in store.list()? {
        for m in &c.spec.mounts {
            if let MountSpec::Bind { source, .. } = m
                && let Some(name) = volumes::name_of(source)
            {
                out.push(name);
            }
        }
    }
    Ok(out)
}

#[cfg(not(target_os = "linux"))]
fn in_use() -> anyhow::Result<Vec<String>> {
    Ok(Vec::new())
}
