//! `cove image inspect|ls|rm|prune|tag`.

use super::{images, rmi, tag};
use crate::cli::{ImageCommand, ImageInspectArgs, ImagePruneArgs};
use crate::request::image::open_store;
use crate::{output, platform};
use anyhow::Context;
use cove_core::backend::Backend;
use std::io::{BufRead, Write};

/// Runs the `image` subcommand.
pub fn run(command: ImageCommand) -> anyhow::Result<i32> {
    match command {
        ImageCommand::Inspect(args) => inspect(args),
        ImageCommand::Ls(args) => images::run(args),
        ImageCommand::Rm(args) => rmi::run(args),
        ImageCommand::Prune(args) => prune(args),
        ImageCommand::Tag(args) => tag::run(args),
    }
}

/// Prints the images found; exits 1 (after printing the rest) when one is
/// missing, as Docker does.
fn inspect(args: ImageInspectArgs) -> anyhow::Result<i32> {
    let store = open_store(platform::backend().host_identity().uid, false)?.map(|(s, _)| s);
    let mut found = Vec::new();
    let mut roots = Vec::new();
    let mut missing = false;
    for name in &args.images {
        let image = match &store {
            Some(s) => s.find(name).with_context(|| format!("look up image {name:?}"))?,
            None => None,
        };
        match (image, &store) {
            (Some(image), Some(store)) => {
                roots.push(root_kind(store, &image));
                found.push(image);
            }
            _ => {
                missing = true;
                output::error(&anyhow::anyhow!("No such image: {name}"));
            }
        }
    }
    match args.format.as_deref().filter(|f| *f != "json") {
        Some(template) => {
            let t = output::template::Template::parse(template)?;
            found.iter().zip(&roots).for_each(|(i, r)| println!("{}", t.render(&output::image_value(i, r))));
        }
        None => output::inspect(&found, &roots)?,
    }
    Ok(if missing { 1 } else { 0 })
}

/// How the image's root is stored (`GraphDriver.Name` in inspect).
pub(super) fn root_kind(store: &cove_image::ImageStore, image: &cove_image::ImageRecord) -> String {
    match store.image_root(image) {
        Ok(cove_image::images::ImageRoot::Layers(l)) => format!("overlay ({} layers)", l.len()),
        Ok(cove_image::images::ImageRoot::Flat(_)) => "flattened copy".to_owned(),
        Err(_) => "missing".to_owned(),
    }
}

/// Asks first (as Docker does) unless -f; the answer is read from stdin.
pub(super) fn prune(args: ImagePruneArgs) -> anyhow::Result<i32> {
    if !args.force && !confirm(args.all)? {
        return Ok(0);
    }
    let Some((store, _)) = open_store(platform::backend().host_identity().uid, false)? else {
        output::pruned(&Default::default());
        return Ok(0);
    };
    let users = rmi::image_users(&store)?;
    let report = store.prune_unused(args.all, &users).context("prune images")?;
    output::pruned(&report);
    Ok(0)
}

fn confirm(all: bool) -> anyhow::Result<bool> {
    let what = if all { "all images without at least one container associated to them" } else { "all dangling images" };
    let mut err = std::io::stderr();
    write!(err, "WARNING! This will remove {what}.\nAre you sure you want to continue? [y/N] ")?;
    err.flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}
