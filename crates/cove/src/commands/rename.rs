//! `cove rename OLD NEW`.

use crate::cli::RenameArgs;
use crate::containers;
use crate::output::Exit;
use cove_core::container::Lookup;

/// Renames one container; a taken name is exit 1, as with Docker.
pub fn run(args: RenameArgs) -> anyhow::Result<i32> {
    let (store, _) = containers::open()?;
    let c = containers::find(&store, &args.container)?;
    store.rename(&c.id, &args.name).map_err(|e| match e {
        Lookup::Store(e) => anyhow::Error::from(e),
        other => Exit { code: 1, message: other.to_string() }.into(),
    })?;
    Ok(0)
}
