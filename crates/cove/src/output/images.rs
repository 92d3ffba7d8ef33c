//! Printing for the image verbs: `import`, `images`, `rmi`, `image
//! inspect`, `image prune`, `system df`, in Docker's shapes.

use super::{human_size, table_or_json};
use crate::cli::Format;
use cove_image::images::{DiskUsage, PruneReport, Removed};
use cove_image::{ImageRecord, familiar_parts};
use serde::Serialize;
use serde_json::{Value, json};

/// `cove import`: each image's name and id on stdout.
pub fn imported(images: &[ImageRecord]) {
    for image in images {
        let (repo, tag) = image.names().into_iter().next().unwrap_or_default();
        println!("{repo}:{tag} {}", image.id);
    }
}

/// One row of `cove images --format json`.
#[derive(Serialize)]
struct ImageRow<'a> {
    repository: String,
    tag: String,
    id: &'a str,
    reference: Option<&'a str>,
    created: Option<&'a str>,
    size: u64,
}

/// `cove images`: REPOSITORY, TAG, IMAGE ID, CREATED, SIZE, one row per
/// tag (`<none>` for dangling images); `-q`: the ids only (each once).
pub fn images(format: Format, quiet: bool, images: &[ImageRecord]) -> anyhow::Result<()> {
    if quiet {
        for image in images {
            println!("{}", image.short_id());
        }
        return Ok(());
    }
    let mut rows = Vec::new();
    let mut json = Vec::new();
    for image in images {
        let created = image.created.as_deref().map_or("<unknown>".to_owned(), |c| c.replacen('T', " ", 1));
        let references: Vec<Option<&str>> =
            if image.tags.is_empty() { vec![None] } else { image.tags.iter().map(|t| Some(t.as_str())).collect() };
        for reference in references {
            let (repository, tag) = reference.map_or(("<none>".into(), "<none>".into()), familiar_parts);
            rows.push(vec![
                repository.clone(),
                tag.clone(),
                image.short_id().to_owned(),
                created.clone(),
                human_size(image.size),
            ]);
            let created = image.created.as_deref();
            json.push(ImageRow { repository, tag, id: &image.id, reference, created, size: image.size });
        }
    }
    table_or_json(format, &["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"], &rows, &json)
}

/// `cove rmi`/`cove image prune`: `Untagged: …` and `Deleted: …` lines.
pub fn removed(lines: &[Removed]) {
    for line in lines {
        match line {
            Removed::Untagged(tag) => println!("Untagged: {tag}"),
            Removed::Deleted(id) => println!("Deleted: {id}"),
        }
    }
}

/// `cove image prune`: what went, then the space freed.
pub fn pruned(report: &PruneReport) {
    if !report.removed.is_empty() {
        println!("Deleted Images:");
        removed(&report.removed);
        println!();
    }
    println!("Total reclaimed space: {}", human_size(report.reclaimed));
}

/// `cove image inspect`: a JSON array, one object per image, in Docker's
/// field names.
pub fn inspect(images: &[ImageRecord], storage: &[String]) -> anyhow::Result<()> {
    let list: Vec<Value> = images.iter().zip(storage).map(|(i, root)| image_value(i, root)).collect();
    println!("{}", serde_json::to_string_pretty(&list)?);
    Ok(())
}

/// One image as `cove image inspect` (and `cove inspect`) shows it;
/// `root` says how its root is stored.
pub fn image_value(i: &ImageRecord, root: &str) -> Value {
    let c = &i.run_config;
    json!({
        "Id": i.id,
        "RepoTags": i.familiar_tags(),
        "RepoDigests": i.digests,
        "Created": i.created,
        "Architecture": i.architecture,
        "Os": i.os,
        "Config": {
            "User": c.user.clone().unwrap_or_default(),
            "Env": c.env,
            "Cmd": c.cmd,
            "Entrypoint": c.entrypoint,
            "WorkingDir": c.working_dir.clone().unwrap_or_default(),
            "ExposedPorts": c.exposed_ports,
            "Labels": c.labels,
        },
        "RootFS": { "Type": "layers", "Layers": i.diff_ids },
        "Size": i.size,
        "GraphDriver": { "Name": root },
    })
}

/// Stored containers for `cove system df`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ContainerCount {
    /// All stored containers.
    pub total: usize,
    /// Those running.
    pub running: usize,
}

/// One row of `cove system df --format json` (Docker's keys and strings).
#[derive(Serialize)]
struct DfRow {
    #[serde(rename = "Type")]
    kind: &'static str,
    #[serde(rename = "TotalCount")]
    total: String,
    #[serde(rename = "Active")]
    active: String,
    #[serde(rename = "Size")]
    size: String,
    #[serde(rename = "Reclaimable")]
    reclaimable: String,
}

/// `cove system df`: TYPE, TOTAL, ACTIVE, SIZE, RECLAIMABLE; with
/// `--format json` one JSON object per line, as Docker prints it.
pub fn disk_usage(format: Format, images: &DiskUsage, containers: ContainerCount) -> anyhow::Result<()> {
    let percent = |part: u64, whole: u64| (part * 100).checked_div(whole).unwrap_or(0);
    let rows = [
        DfRow {
            kind: "Images",
            total: images.images.to_string(),
            active: images.active.to_string(),
            size: human_size(images.size),
            reclaimable: format!("{} ({}%)", human_size(images.reclaimable), percent(images.reclaimable, images.size)),
        },
        // Stored containers (foreground runs leave nothing behind); their
        // write layers are not measured yet. No named volumes yet.
        DfRow {
            kind: "Containers",
            total: containers.total.to_string(),
            active: containers.running.to_string(),
            size: "0B".into(),
            reclaimable: "0B".into(),
        },
        DfRow {
            kind: "Local Volumes",
            total: "0".into(),
            active: "0".into(),
            size: "0B".into(),
            reclaimable: "0B".into(),
        },
    ];
    if format == Format::Json {
        for row in &rows {
            println!("{}", serde_json::to_string(row)?);
        }
        return Ok(());
    }
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|r| vec![r.kind.to_owned(), r.total.clone(), r.active.clone(), r.size.clone(), r.reclaimable.clone()])
        .collect();
    table_or_json(format, &["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"], &table, &())
}
