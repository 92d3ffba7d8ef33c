//! What the store remembers about one image: one record per image id (the
//! config digest) with every tag that points at it. An image with no tag is
//! dangling (`<none>`), as after Docker re-tags a name onto another image.

use serde::{Deserialize, Serialize};

use crate::oci::RunConfig;
use crate::reference::Reference;

/// How an image's root filesystem is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Storage {
    /// One directory per layer (`layers/<chain id>`), stacked by overlay.
    Layers,
    /// One flattened copy (`rootfs/<chain id>`): the fallback where overlay
    /// markers cannot be written.
    Flat,
}

/// One image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageRecord {
    /// The config digest: the image id.
    pub id: String,
    /// Normalised references (`docker.io/library/busybox:latest`).
    pub tags: Vec<String>,
    /// `repository@manifest digest` for each tagged repository.
    pub digests: Vec<String>,
    /// The manifest digest.
    pub manifest: String,
    /// The layer blob digests, base first.
    pub layers: Vec<String>,
    /// The uncompressed layer digests, base first.
    pub diff_ids: Vec<String>,
    /// The chain id of all layers (names a flattened rootfs).
    pub chain_id: String,
    /// Creation time from the config (RFC 3339), when given.
    pub created: Option<String>,
    /// `architecture` from the config.
    pub architecture: String,
    /// `os` from the config.
    pub os: String,
    /// The sum of the layer blob sizes (compressed), in bytes.
    pub size: u64,
    /// How the root filesystem is stored.
    pub storage: Storage,
    /// The runtime defaults (Entrypoint, Cmd, Env, WorkingDir, User, …).
    pub run_config: RunConfig,
}

impl ImageRecord {
    /// The hex of the config digest.
    pub fn id_hex(&self) -> &str {
        self.id.split_once(':').map_or(&self.id, |(_, hex)| hex)
    }

    /// The first 12 hex digits, as Docker shows ids.
    pub fn short_id(&self) -> &str {
        let hex = self.id_hex();
        &hex[..hex.len().min(12)]
    }

    /// (repository, tag) as Docker prints them, one per tag; a dangling
    /// image gives one `("<none>", "<none>")`.
    pub fn names(&self) -> Vec<(String, String)> {
        if self.tags.is_empty() {
            return vec![("<none>".to_owned(), "<none>".to_owned())];
        }
        self.tags.iter().map(|t| familiar_parts(t)).collect()
    }

    /// Tags as Docker shows them in `RepoTags` (`busybox:latest`).
    pub fn familiar_tags(&self) -> Vec<String> {
        self.names().into_iter().filter(|(r, _)| r != "<none>").map(|(r, t)| format!("{r}:{t}")).collect()
    }
}

/// `docker.io/library/busybox:1` → (`busybox`, `1`).
pub fn familiar_parts(reference: &str) -> (String, String) {
    let Ok(r) = Reference::parse(reference) else { return (reference.to_owned(), "<none>".to_owned()) };
    let tag = r.tag().unwrap_or("<none>").to_owned();
    let familiar = r.familiar();
    let repo = familiar.split('@').next().unwrap_or(&familiar);
    let repo = repo.strip_suffix(&format!(":{tag}")).unwrap_or(repo).to_owned();
    (repo, tag)
}

/// The records file.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct Records {
    /// Every image, in import order.
    pub images: Vec<ImageRecord>,
}

impl Records {
    /// Points `tag` at `id` only: removes it from every other image.
    pub fn move_tag(&mut self, tag: &str, id: &str) {
        for image in self.images.iter_mut().filter(|i| i.id != id) {
            image.tags.retain(|t| t != tag);
        }
        if let Some(image) = self.images.iter_mut().find(|i| i.id == id)
            && !image.tags.iter().any(|t| t == tag)
        {
            image.tags.push(tag.to_owned());
        }
    }
}
