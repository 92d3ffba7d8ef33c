//! `cove images`: the local store's images, with Docker's `--filter`.

use crate::cli::{Format, ImagesArgs};
use crate::request::image::open_store;
use crate::{output, platform};
use anyhow::bail;
use cove_core::backend::Backend;
use cove_image::ImageRecord;
use cove_image::familiar_parts;

/// Lists the images.
pub fn run(args: ImagesArgs) -> anyhow::Result<i32> {
    let filters = args.filter.iter().map(|f| parse(f)).collect::<anyhow::Result<Vec<_>>>()?;
    let images = match open_store(platform::backend().host_identity().uid, false)? {
        Some((store, _)) => store.list()?,
        None => Vec::new(),
    };
    let images: Vec<ImageRecord> = images.into_iter().filter_map(|i| keep(&filters, i)).collect();
    match args.format.as_str() {
        "table" | "" => output::images(Format::Table, args.quiet, &images)?,
        "json" => output::images(Format::Json, args.quiet, &images)?,
        _ if args.quiet => output::images(Format::Table, true, &images)?,
        template => {
            let headers = &[("ID", "IMAGE ID"), ("CreatedSince", "CREATED"), ("Size", "SIZE")];
            output::template::Template::parse(template)?.with_headers(headers).print_all(&rows(&images))
        }
    }
    Ok(0)
}

/// Docker's `images --format` fields, one value per tag (`<none>` when untagged).
fn rows(images: &[ImageRecord]) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    for image in images {
        let tags: Vec<Option<&String>> =
            if image.tags.is_empty() { vec![None] } else { image.tags.iter().map(Some).collect() };
        for tag in tags {
            let (repository, tag) = tag.map_or(("<none>".into(), "<none>".into()), |t| familiar_parts(t));
            let digest = image.manifest.clone();
            out.push(serde_json::json!({
                "Repository": repository, "Tag": tag, "ID": image.short_id(), "Digest": digest,
                "CreatedAt": image.created.clone().unwrap_or_default(), "Size": output::human_size(image.size),
                "Containers": "N/A", "SharedSize": "N/A", "UniqueSize": "N/A", "VirtualSize": output::human_size(image.size),
            }));
        }
    }
    out
}

fn parse(f: &str) -> anyhow::Result<(String, String)> {
    match f.split_once('=') {
        Some(("dangling", v @ ("true" | "false" | "1" | "0"))) => Ok(("dangling".into(), v.into())),
        Some(("dangling", _)) => bail!("invalid --filter {f:?}: dangling is true or false"),
        Some((k @ ("reference" | "label"), v)) => Ok((k.into(), v.into())),
        _ => bail!("invalid --filter {f:?}: cove filters images on dangling=, reference= and label="),
    }
}

/// The image if every filter key matches (values of one key are
/// alternatives); `reference=` also keeps only the tags it matches.
fn keep(filters: &[(String, String)], mut image: ImageRecord) -> Option<ImageRecord> {
    let values = |key: &str| filters.iter().filter(|(k, _)| k == key).map(|(_, v)| v.as_str()).collect::<Vec<_>>();
    let dangling = values("dangling");
    if !dangling.is_empty() && !dangling.iter().any(|v| matches!(*v, "true" | "1") == image.tags.is_empty()) {
        return None;
    }
    let labels = values("label");
    let image_labels = image.run_config.labels.clone().unwrap_or_default();
    let has_label = |want: &&str| match want.split_once('=') {
        Some((k, v)) => image_labels.get(k).is_some_and(|have| have == v),
        None => image_labels.contains_key(*want),
    };
    if !labels.is_empty() && !labels.iter().any(has_label) {
        return None;
    }
    let patterns = values("reference");
    if !patterns.is_empty() {
        image.tags.retain(|t| {
            let (repo, tag) = familiar_parts(t);
            patterns.iter().any(|p| glob(p, &repo) || glob(p, &format!("{repo}:{tag}")))
        });
        if image.tags.is_empty() {
            return None;
        }
    }
    Some(image)
}

/// `*` matches any run of characters except `/`; `?` one character (Go's `path.Match`).
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    fn go(p: &[char], t: &[char]) -> bool {
        match p.first() {
            None => t.is_empty(),
            Some('*') => (0..=t.len()).take_while(|&i| i == 0 || t[i - 1] != '/').any(|i| go(&p[1..], &t[i..])),
            Some('?') => !t.is_empty() && t[0] != '/' && go(&p[1..], &t[1..]),
            Some(c) => t.first() == Some(c) && go(&p[1..], &t[1..]),
        }
    }
    go(&p, &t)
}

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn globs_like_path_match() {
        assert!(glob("busy*", "busybox") && glob("busybox:*", "busybox:latest") && glob("*", "alpine"));
        assert!(glob("team/*", "team/app") && !glob("*", "team/app") && !glob("busy*", "alpine"));
        assert!(glob("a?c", "abc") && !glob("a?c", "a/c"));
    }
}
