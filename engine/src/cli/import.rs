//! The `import` verb: its flags, the import file's format, and what it
//! prints. `import NAME ID` imports one resource; `import --file FILE`
//! many, from a JSON object `{"NAME": "ID", ...}` or from lines `NAME ID`
//! (blank lines and lines starting with `#` are skipped).

use super::exit::ExitCode;
use super::output::{Output, print_json};
use crate::import::{ImportRequest, Imported};
use crate::ops::OpsError;
use crate::render;
use serde_json::json;
use std::path::{Path, PathBuf};

/// `import NAME ID` or `import --file FILE`.
#[derive(clap::Args, Debug)]
pub struct ImportArgs {
    /// The resource's name, as the program declares it.
    pub name: Option<String>,
    /// The cloud's identifier of the existing resource (per type: docs/import.md).
    pub id: Option<String>,
    /// Import many: a JSON object NAME -> ID, or lines `NAME ID`.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["name", "id"])]
    pub file: Option<PathBuf>,
}

impl ImportArgs {
    /// The requests, checked: a name with an id, or a readable file.
    pub fn requests(&self) -> Result<Vec<ImportRequest>, String> {
        match (&self.name, &self.id, &self.file) {
            (_, _, Some(file)) => read_file(file),
            (Some(name), Some(id), None) => Ok(vec![request(name, id)?]),
            (Some(name), None, None) => Err(format!(
                "import {name}: give the cloud's id of the resource too (`import {name} ID`; the id of each type is in docs/import.md)"
            )),
            _ => Err("import what? `import NAME ID`, or `import --file FILE`".into()),
        }
    }
}

fn request(name: &str, id: &str) -> Result<ImportRequest, String> {
    let (name, id) = (name.trim(), id.trim());
    if name.is_empty() || id.is_empty() {
        return Err(format!(
            "import {name:?} {id:?}: the name and the id must not be empty"
        ));
    }
    Ok(ImportRequest {
        name: name.to_string(),
        id: id.to_string(),
    })
}

/// Reads an import file: a JSON object of names to ids, or `NAME ID` lines.
fn read_file(path: &Path) -> Result<Vec<ImportRequest>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read import file {}: {e}", path.display()))?;
    parse_file(&text).map_err(|e| format!("import file {}: {e}", path.display()))
}

/// Parses the text of an import file.
pub fn parse_file(text: &str) -> Result<Vec<ImportRequest>, String> {
    if text.trim_start().starts_with('{') {
        let map: serde_json::Map<String, serde_json::Value> = serde_json::from_str(text)
            .map_err(|e| format!("not a JSON object of names to ids: {e}"))?;
        return map
            .iter()
            .map(|(name, id)| match id.as_str() {
                Some(id) => request(name, id),
                None => Err(format!("the id of {name:?} must be a string, not {id}")),
            })
            .collect();
    }
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut words = line.split_whitespace();
        match (words.next(), words.next(), words.next()) {
            (Some(name), Some(id), None) => out.push(request(name, id)?),
            _ => {
                return Err(format!(
                    "line {}: expected `NAME ID` (two words), found {line:?}",
                    n + 1
                ));
            }
        }
    }
    if out.is_empty() {
        return Err("names no resource".into());
    }
    Ok(out)
}

/// Prints what was imported (or why nothing was), and the exit status.
pub(super) fn report(out: Output, imported: Result<Vec<Imported>, OpsError>) -> ExitCode {
    let imported = match imported {
        Ok(i) => i,
        Err(e) => return out.fail(&e.to_string()),
    };
    let updates = imported.iter().filter(|f| !f.changes.is_empty()).count();
    if out.json {
        print_json(&json!({"ok": true, "imported": imported, "to_update": updates}));
        return ExitCode::Success;
    }
    print!("{}", render::imports_text(&imported, out.style));
    println!(
        "\nImported {} resource(s); nothing changed in the cloud. {}",
        imported.len(),
        match updates {
            0 => "They match the program.".to_string(),
            n => format!("The next `up` updates {n} of them in place (the ~ lines above)."),
        }
    );
    ExitCode::Success
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_json_object_maps_names_to_ids() {
        let r = parse_file(r#"{"table": "global-table", "api-zone": "Z123"}"#).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[0], request("api-zone", "Z123").unwrap());
    }

    #[test]
    fn lines_name_an_id_each_and_skip_comments() {
        let r = parse_file("# the seed\ntable global-table\n\n  api-zone Z123  \n").unwrap();
        assert_eq!(
            r,
            vec![
                request("table", "global-table").unwrap(),
                request("api-zone", "Z123").unwrap()
            ]
        );
    }

    #[test]
    fn a_bad_line_or_value_is_named() {
        let e = parse_file("table global-table extra\n").unwrap_err();
        assert!(e.contains("line 1"), "{e}");
        let e = parse_file(r#"{"table": 3}"#).unwrap_err();
        assert!(e.contains("\"table\" must be a string"), "{e}");
        assert!(
            parse_file("\n# nothing\n")
                .unwrap_err()
                .contains("no resource")
        );
    }
}
