//! Whiteouts of a layer unpacked with [`super::WhiteoutMode::Record`] turned
//! into overlay markers inside its own directory, so the layer can be an
//! overlay lower dir. The parents of a marker are walked as for any entry
//! (never through a symlink); a missing parent is created.

use std::collections::HashSet;
use std::fs;
use std::io;
use std::path::Path;

use cove_core::overlay::OverlayMarkers;

use super::entries::io_err;
use super::{UnpackError, Whiteout, paths};

/// Writes one marker per whiteout under `root`.
pub fn write_markers(root: &Path, whiteouts: &[Whiteout], markers: &dyn OverlayMarkers) -> Result<(), UnpackError> {
    for whiteout in whiteouts {
        match whiteout {
            Whiteout::Remove(rel) => {
                let host = paths::prepare_parents(root, rel, rel, &mut HashSet::new())?;
                if fs::symlink_metadata(&host).is_ok() {
                    // This layer wrote the path itself; its own entry wins.
                    continue;
                }
                markers.whiteout(&host).map_err(io_err("write whiteout marker", &host))?;
            }
            Whiteout::Opaque(rel) => {
                let host = if rel.as_os_str().is_empty() {
                    root.to_owned()
                } else {
                    let host = paths::prepare_parents(root, rel, rel, &mut HashSet::new())?;
                    match fs::symlink_metadata(&host) {
                        Ok(m) if m.is_dir() => {}
                        Ok(_) => continue,
                        Err(e) if e.kind() == io::ErrorKind::NotFound => {
                            fs::create_dir(&host).map_err(io_err("create opaque directory", &host))?
                        }
                        Err(e) => return Err(io_err("inspect opaque directory", &host)(e)),
                    }
                    host
                };
                markers.opaque(&host).map_err(io_err("mark opaque directory", &host))?;
            }
        }
    }
    Ok(())
}
