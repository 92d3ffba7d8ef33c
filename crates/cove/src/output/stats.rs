//! `cove stats` printing: Docker's columns as a table (redrawn in place
//! while streaming) or one JSON object per container and line, as
//! `docker stats --format json` prints them.

use crate::cli::Format;
use cove_core::stats::{HEADER, Row};
use std::io::Write;

/// Prints one round of rows; `redraw` clears the terminal first (streaming
/// to a terminal, as Docker does).
pub fn round(rows: &[Row], format: Format, redraw: bool) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match format {
        Format::Json => {
            for row in rows {
                serde_json::to_writer(&mut out, row)?;
                writeln!(out)?;
            }
        }
        Format::Table => {
            if redraw {
                write!(out, "\x1b[2J\x1b[H")?;
            }
            let cells: Vec<Vec<String>> = rows.iter().map(Row::cells).collect();
            drop(out);
            super::table_or_json(Format::Table, &HEADER, &cells, &())?;
            return Ok(std::io::stdout().flush()?);
        }
    }
    Ok(out.flush()?)
}
