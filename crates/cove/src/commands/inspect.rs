//! `cove inspect`: stored containers as a JSON array with Docker's keys,
//! or one template line per object (`-f '{{.State.Pid}}'`). Like Docker's,
//! a name no container has is looked up among the images, then the
//! volumes; `--type` picks one kind.

use super::image::root_kind;
use crate::cli::{InspectArgs, ObjectKind};
use crate::containers::{self, HostLiveness};
use crate::output::{self, Exit, containers::inspect, template::Template};
use crate::request::image::open_store;
use anyhow::Context;
use cove_core::container::{ContainerStore, Lookup};
use cove_image::ImageStore;
use serde_json::Value;

/// Prints the objects found; exit 1 when one is unknown.
pub fn run(args: InspectArgs) -> anyhow::Result<i32> {
    let template = args.format.as_deref().map(Template::parse).transpose()?;
    let live = HostLiveness::new();
    let (store, _) = containers::open()?;
    let images = match args.kind {
        Some(ObjectKind::Container | ObjectKind::Volume) => None,
        _ => open_store(containers::caller_uid(), false)?.map(|(s, _)| s),
    };
    let mut values = Vec::new();
    let mut code = 0;
    for name in &args.containers {
        match find(name, args.kind, &store, images.as_ref(), &live) {
            Ok(value) => values.push(value),
            Err(e) => code = output::error(&e),
        }
    }
    match template {
        Some(t) => values.iter().for_each(|v| println!("{}", t.render(v))),
        None => println!("{}", serde_json::to_string_pretty(&values)?),
    }
    Ok(code)
}

/// The container `name` (unless `--type image`), else the image `name`
/// (unless `--type container`).
fn find(
    name: &str,
    kind: Option<ObjectKind>,
    store: &ContainerStore,
    images: Option<&ImageStore>,
    live: &HostLiveness,
) -> anyhow::Result<Value> {
    if matches!(kind, None | Some(ObjectKind::Container)) {
        match store.lookup(name) {
            Ok(c) => {
                let log = store.log_path(&c.id).display().to_string();
                return Ok(inspect(&c, c.observed(live), c.monitor_lost(live), live, &log));
            }
            Err(Lookup::NotFound(_)) if kind.is_none() => {}
            Err(Lookup::Store(e)) => return Err(e.into()),
            Err(other) => return Err(Exit { code: 1, message: other.to_string() }.into()),
        }
    }
    if let Some(images) = images {
        let found = images.find(name).with_context(|| format!("look up image {name:?}"));
        // Without --type, a name that is no valid reference is just unknown.
        let found = if kind.is_none() { found.ok().flatten() } else { found? };
        if let Some(image) = found {
            return Ok(output::image_value(&image, &root_kind(images, &image)));
        }
    }
    if matches!(kind, None | Some(ObjectKind::Volume))
        && crate::volumes::valid_name(name)
        && let Some(v) = crate::volumes::get(name)?
    {
        return Ok(output::volumes::object(&v));
    }
    let what = match kind {
        Some(ObjectKind::Container) => "container",
        Some(ObjectKind::Image) => "image",
        Some(ObjectKind::Volume) => "volume",
        None => "object",
    };
    Err(Exit { code: 1, message: format!("No such {what}: {name}") }.into())
}
