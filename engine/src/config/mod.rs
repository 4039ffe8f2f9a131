//! A stack's configuration: the file it is saved in (one per program and
//! stack, `Meridian.<program>.<stack>.json` in the working directory, meant
//! for version control) and the typed reading of it ([`from_strings`]).
//!
//! The file is versioned JSON; values are strings, as on the command line:
//!
//! ```json
//! {
//!   "format": "meridian-config",
//!   "version": 1,
//!   "program": "global_api",
//!   "stack": "dev",
//!   "config": {
//!     "regions": "us-east-1,eu-west-1"
//!   }
//! }
//! ```
//!
//! A stack with secrets also records its secrets provider
//! (`"secrets_provider": "passphrase"` or `"awskms://..."`) and its data
//! key as that provider encrypted it (`"encrypted_key"`); a secret value is
//! written `{"secure": "<age ciphertext>"}` (see [`crate::secret`]). Any
//! other key or shape is refused rather than ignored.

mod de;

pub use de::{ConfigError, from_strings};

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const FORMAT: &str = "meridian-config";
const VERSION: u32 = 1;

/// A stack's saved configuration and where it lives.
#[derive(Clone, Debug, PartialEq)]
pub struct ConfigFile {
    pub path: PathBuf,
    pub program: String,
    pub stack: String,
    /// Plain values.
    pub values: BTreeMap<String, String>,
    /// Secret values, encrypted to the stack's data key (age, armored).
    pub secure: BTreeMap<String, String>,
    /// `passphrase` or a provider URL (`awskms://...`), once the stack has
    /// a data key.
    pub secrets_provider: Option<String>,
    /// The stack's data key, encrypted by its secrets provider.
    pub encrypted_key: Option<String>,
}

/// A secret value as written: `{"secure": "<ciphertext>"}`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Secure {
    secure: String,
}

/// The file as written.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Document {
    format: String,
    version: u32,
    program: String,
    stack: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    secrets_provider: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    encrypted_key: Option<String>,
    #[serde(default)]
    config: BTreeMap<String, serde_json::Value>,
}

impl ConfigFile {
    /// `Meridian.<program>.<stack>.json`, in the working directory.
    pub fn default_path(program: &str, stack: &str) -> PathBuf {
        PathBuf::from(format!("Meridian.{program}.{stack}.json"))
    }

    /// Reads `path`; a file that does not exist is an empty configuration.
    /// A file of another program or stack is refused.
    pub fn load(path: &Path, program: &str, stack: &str) -> Result<ConfigFile, String> {
        let mut file = ConfigFile {
            path: path.to_path_buf(),
            program: program.to_string(),
            stack: stack.to_string(),
            values: BTreeMap::new(),
            secure: BTreeMap::new(),
            secrets_provider: None,
            encrypted_key: None,
        };
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(file),
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        };
        let shown = path.display();
        let doc: Document = serde_json::from_str(&text)
            .map_err(|e| format!("{shown} is not a Meridian configuration file: {e}"))?;
        if doc.format != FORMAT || doc.version > VERSION {
            return Err(format!(
                "{shown} is a {:?} file of version {}; this Meridian reads {FORMAT:?} version {VERSION}",
                doc.format, doc.version
            ));
        }
        if doc.program != program || doc.stack != stack {
            return Err(format!(
                "{shown} is the configuration of program {:?}, stack {:?}, not of program {program:?}, stack {stack:?}",
                doc.program, doc.stack
            ));
        }
        for (key, value) in doc.config {
            match value {
                serde_json::Value::String(value) => {
                    file.values.insert(key, value);
                }
                other => {
                    let Ok(Secure { secure }) = serde_json::from_value(other) else {
                        return Err(format!(
                            "{shown}: the value of {key:?} is neither a string nor a secret ({{\"secure\": \"...\"}})"
                        ));
                    };
                    file.secure.insert(key, secure);
                }
            }
        }
        if !file.secure.is_empty() && doc.encrypted_key.is_none() {
            return Err(format!(
                "{shown} holds secret values but no `encrypted_key`: the stack's data key is lost, and its secrets with it"
            ));
        }
        file.secrets_provider = doc.secrets_provider;
        file.encrypted_key = doc.encrypted_key;
        Ok(file)
    }

    /// Writes the file (through a temporary file and a rename, so a crash
    /// leaves the old or the new file, never half of one).
    pub fn save(&self) -> Result<(), String> {
        let doc = Document {
            format: FORMAT.into(),
            version: VERSION,
            program: self.program.clone(),
            stack: self.stack.clone(),
            secrets_provider: self.secrets_provider.clone(),
            encrypted_key: self.encrypted_key.clone(),
            config: self
                .values
                .iter()
                .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
                .chain(self.secure.iter().map(|(k, c)| {
                    let secure = Secure { secure: c.clone() };
                    (k.clone(), serde_json::to_value(secure).unwrap_or_default())
                }))
                .collect(),
        };
        let mut text = serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?;
        text.push('\n');
        let shown = self.path.display();
        let mut tmp = self.path.clone().into_os_string();
        tmp.push(".tmp");
        std::fs::write(&tmp, text)
            .and_then(|()| std::fs::rename(&tmp, &self.path))
            .map_err(|e| format!("cannot write {shown}: {e}"))
    }
}

/// The program's name, for its configuration file: the file name of its
/// executable without extension (`cargo run --example global_api` runs
/// `target/debug/examples/global_api`: `global_api`), with a cargo test
/// build's `-<hash>` suffix dropped.
pub fn program_name() -> String {
    let exe = std::env::current_exe()
        .ok()
        .or_else(|| std::env::args_os().next().map(PathBuf::from))
        .unwrap_or_default();
    let stem = exe
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "program".into());
    match stem.rsplit_once('-') {
        Some((name, hash)) if hash.len() == 16 && hash.chars().all(|c| c.is_ascii_hexdigit()) => {
            name.to_string()
        }
        _ => stem,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_round_trips_and_belongs_to_one_program_and_stack() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(ConfigFile::default_path("app", "dev"));
        let mut file = ConfigFile::load(&path, "app", "dev").unwrap();
        assert!(file.values.is_empty());
        file.values
            .insert("regions".into(), "us-east-1,eu-west-1".into());
        file.save().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("\"format\": \"meridian-config\""), "{text}");
        assert_eq!(ConfigFile::load(&path, "app", "dev").unwrap(), file);
        let e = ConfigFile::load(&path, "other", "dev").unwrap_err();
        assert!(e.contains("not of program \"other\""), "{e}");
        let secret = text.replace("\"us-east-1,eu-west-1\"", "{\"secure\": \"x\"}");
        std::fs::write(&path, &secret).unwrap();
        let e = ConfigFile::load(&path, "app", "dev").unwrap_err();
        assert!(e.contains("no `encrypted_key`"), "{e}");
        let keyed = secret.replace("\"config\"", "\"encrypted_key\": \"k\", \"config\"");
        std::fs::write(&path, keyed).unwrap();
        let file = ConfigFile::load(&path, "app", "dev").unwrap();
        assert_eq!(file.secure["regions"], "x");
        file.save().unwrap();
        assert_eq!(ConfigFile::load(&path, "app", "dev").unwrap(), file);
        let odd = text.replace("\"us-east-1,eu-west-1\"", "{\"other\": 1}");
        std::fs::write(&path, odd).unwrap();
        let e = ConfigFile::load(&path, "app", "dev").unwrap_err();
        assert!(e.contains("neither a string nor a secret"), "{e}");
    }
}
