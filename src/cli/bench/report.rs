//! Results for tools to read: one JSON object per line.

use serde::Serialize;

/// One JSON object per line, or a line of the table.
pub fn print_json(value: &impl Serialize) {
    match serde_json::to_string(value) {
        Ok(line) => println!("{line}"),
        Err(error) => eprintln!("cannot print a result as JSON: {error}"),
    }
}
