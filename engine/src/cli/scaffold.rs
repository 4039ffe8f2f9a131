//! `meridian new DIR`: writes a new program crate from a template. The
//! templates are data handed in by the facade ([`Template`]), so the engine
//! knows no program of its own; this module only checks the target, fills
//! in the crate's name and its dependency on Meridian, writes the files and
//! the stack's configuration, and says how to preview and deploy.

use crate::config::ConfigFile;
use std::path::{Path, PathBuf};

/// A project template: the program's files and the stack configuration it
/// starts with.
#[derive(Clone, Copy, Debug)]
pub struct Template {
    /// What `--template` names it.
    pub name: &'static str,
    /// One line for `--help` and errors.
    pub about: &'static str,
    /// Files to write, relative to the new crate's root. `src/main.rs` is
    /// required.
    pub files: &'static [TemplateFile],
    /// The `dev` stack's configuration, `key = value`.
    pub config: &'static [(&'static str, &'static str)],
}

/// One file of a template.
#[derive(Clone, Copy, Debug)]
pub struct TemplateFile {
    pub path: &'static str,
    pub contents: &'static str,
    /// Replace `from` by `to` in `contents` (a path that differs between the
    /// Meridian checkout and a new crate, say).
    pub rewrite: &'static [(&'static str, &'static str)],
}

/// Where the new crate gets Meridian from.
#[derive(Clone, Debug, PartialEq)]
pub enum MeridianSource {
    /// A checkout on this machine; its `Cargo.lock` is copied so that the
    /// new crate builds the very versions this checkout was tested with.
    Path(PathBuf),
    /// A git repository URL.
    Git(String),
}

/// What `meridian new` was asked for.
#[derive(Clone, Debug, PartialEq)]
pub struct NewProject {
    pub dir: PathBuf,
    pub template: String,
    pub source: MeridianSource,
}

/// What was written, for the report.
#[derive(Clone, Debug, PartialEq)]
pub struct Created {
    pub dir: PathBuf,
    pub crate_name: String,
    pub files: Vec<PathBuf>,
    /// The commands to run in `dir`, in order: preview, then deploy.
    pub next: Vec<String>,
}

/// Writes the project. Refuses, writing nothing, when the template is
/// unknown, the directory is not empty, or its name is not a crate name.
pub fn create(req: &NewProject, templates: &[Template]) -> Result<Created, String> {
    let template = templates
        .iter()
        .find(|t| t.name == req.template)
        .ok_or_else(|| {
            let names: Vec<&str> = templates.iter().map(|t| t.name).collect();
            format!(
                "unknown template {:?}; known: {}",
                req.template,
                names.join(", ")
            )
        })?;
    let crate_name = crate_name(&req.dir)?;
    check_empty(&req.dir)?;
    let mut files = vec![
        (
            PathBuf::from("Cargo.toml"),
            cargo_toml(&crate_name, &req.source),
        ),
        (PathBuf::from(".gitignore"), GITIGNORE.to_string()),
    ];
    for file in template.files {
        let mut contents = file.contents.to_string();
        for (from, to) in file.rewrite {
            contents = contents.replace(from, to);
        }
        files.push((PathBuf::from(file.path), contents));
    }
    if let MeridianSource::Path(root) = &req.source {
        let lock = root.join("Cargo.lock");
        let text = std::fs::read_to_string(&lock)
            .map_err(|e| format!("cannot read {}: {e}", lock.display()))?;
        files.push((PathBuf::from("Cargo.lock"), text));
    }
    let write = |rel: &Path, text: &str| {
        let path = req.dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
    };
    let mut written = Vec::new();
    for (rel, text) in &files {
        write(rel, text)?;
        written.push(rel.clone());
    }
    let config_path = ConfigFile::default_path(&crate_name, "dev");
    let mut config = ConfigFile::load(&req.dir.join(&config_path), &crate_name, "dev")?;
    for (key, value) in template.config {
        config.values.insert(key.to_string(), value.to_string());
    }
    config.save()?;
    written.push(config_path);
    Ok(Created {
        dir: req.dir.clone(),
        crate_name,
        files: written,
        next: next_commands(&req.source),
    })
}

/// The crate's name: the directory's last component, which cargo accepts
/// as a package name (letters, digits, `-` and `_`, not starting with a
/// digit).
fn crate_name(dir: &Path) -> Result<String, String> {
    let name = dir
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| format!("{} has no usable last component", dir.display()))?;
    let valid = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && name.starts_with(|c: char| c.is_ascii_alphabetic());
    match valid {
        true => Ok(name.to_string()),
        false => Err(format!(
            "{name:?} is not a valid crate name: use letters, digits, `-` and `_`, starting with a letter"
        )),
    }
}

fn check_empty(dir: &Path) -> Result<(), String> {
    match std::fs::read_dir(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(format!("cannot read {}: {e}", dir.display())),
        Ok(mut entries) => match entries.next() {
            None => Ok(()),
            Some(_) => Err(format!(
                "{} is not empty: `meridian new` writes only into a new or empty directory",
                dir.display()
            )),
        },
    }
}

fn cargo_toml(name: &str, source: &MeridianSource) -> String {
    let dependency = match source {
        MeridianSource::Path(root) => format!("{{ path = {:?} }}", root.display().to_string()),
        MeridianSource::Git(url) => format!("{{ git = {url:?} }}"),
    };
    format!(
        r#"[package]
name = "{name}"
version = "0.1.0"
edition = "2024"
publish = false

[dependencies]
meridian = {dependency}
serde = {{ version = "1", features = ["derive"] }}

# A workspace of its own, so that an enclosing workspace does not claim it.
[workspace]

# The AWS SDK crates dominate the build: no debug info for dependencies
# halves a cold build (Meridian's own measured settings).
[profile.dev]
debug = "line-tables-only"

[profile.dev.package."*"]
debug = false
"#
    )
}

const GITIGNORE: &str = "/target\n/.meridian\n";

fn next_commands(source: &MeridianSource) -> Vec<String> {
    match source {
        MeridianSource::Path(root) => {
            let with = root.join("scripts/with-local-aws");
            vec![
                format!("{} cargo run -- preview", with.display()),
                format!("{} cargo run -- up --yes", with.display()),
            ]
        }
        // No checkout here: the test cloud of a Meridian checkout must be
        // running, its environment exported (`eval "$(scripts/testcloud env)"`).
        MeridianSource::Git(_) => vec![
            "cargo run -- preview".to_string(),
            "cargo run -- up --yes".to_string(),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAIN: TemplateFile = TemplateFile {
        path: "src/main.rs",
        contents: "fn main() { let _ = \"examples/x/handler\"; }\n",
        rewrite: &[("examples/x/handler", "handler")],
    };
    const TEMPLATES: &[Template] = &[Template {
        name: "minimal",
        about: "one resource",
        files: &[MAIN],
        config: &[("greeting", "hello")],
    }];

    fn request(dir: &Path, template: &str) -> NewProject {
        NewProject {
            dir: dir.to_path_buf(),
            template: template.into(),
            source: MeridianSource::Git("https://example.com/meridian.git".into()),
        }
    }

    #[test]
    fn writes_the_crate_its_rewritten_files_and_the_stack_configuration() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("my-api");
        let created = create(&request(&dir, "minimal"), TEMPLATES).unwrap();
        assert_eq!(created.crate_name, "my-api");
        let toml = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
        assert!(toml.contains("name = \"my-api\""), "{toml}");
        assert!(
            toml.contains("meridian = { git = \"https://example.com/meridian.git\" }"),
            "{toml}"
        );
        let main = std::fs::read_to_string(dir.join("src/main.rs")).unwrap();
        assert!(
            main.contains("\"handler\"") && !main.contains("examples/x"),
            "{main}"
        );
        let config =
            ConfigFile::load(&dir.join("Meridian.my-api.dev.json"), "my-api", "dev").unwrap();
        assert_eq!(config.values["greeting"], "hello");
        assert!(
            !dir.join("Cargo.lock").exists(),
            "a git source copies no lock"
        );
        assert_eq!(
            created.next,
            ["cargo run -- preview", "cargo run -- up --yes"]
        );
    }

    #[test]
    fn refuses_a_non_empty_directory_an_unknown_template_and_a_bad_name() {
        let tmp = tempfile::tempdir().unwrap();
        let busy = tmp.path().join("busy");
        std::fs::create_dir(&busy).unwrap();
        std::fs::write(busy.join("keep.txt"), "mine").unwrap();
        let err = create(&request(&busy, "minimal"), TEMPLATES).unwrap_err();
        assert!(err.contains("is not empty"), "{err}");
        assert_eq!(std::fs::read_dir(&busy).unwrap().count(), 1);

        let err = create(&request(&tmp.path().join("a"), "nope"), TEMPLATES).unwrap_err();
        assert!(
            err.contains("unknown template \"nope\"; known: minimal"),
            "{err}"
        );

        let err = create(&request(&tmp.path().join("1st"), "minimal"), TEMPLATES).unwrap_err();
        assert!(err.contains("not a valid crate name"), "{err}");
        assert!(!tmp.path().join("a").exists() && !tmp.path().join("1st").exists());
    }
}
