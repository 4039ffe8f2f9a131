//! The stack's saved configuration on the command line: which file, what
//! the program is given (saved values, then `--config` overrides, or the
//! value `config set` is about to save), the check that the program reads
//! every key, and the `config` verbs.

use super::exit::ExitCode;
use super::output::Output;
use super::request::{ConfigVerb, Request, Verb};
use super::secrets::Opened;
use crate::config::{self, ConfigFile};
use std::collections::BTreeMap;

/// Loads the stack's configuration file (`--config-file`, else the
/// default name for this program and stack).
pub(super) fn load(req: &Request) -> Result<ConfigFile, String> {
    let program = config::program_name();
    let stack = &req.store.stack;
    let path = req
        .config_file
        .clone()
        .unwrap_or_else(|| ConfigFile::default_path(&program, stack));
    ConfigFile::load(&path, &program, stack)
}

/// `config get` and `config list`, which need no program; `None` for any
/// other verb.
pub(super) fn read_only(
    req: &Request,
    file: &ConfigFile,
    opened: &Opened,
    out: Output,
) -> Option<ExitCode> {
    match &req.verb {
        Verb::Config(ConfigVerb::Get { key }) => {
            let value = file.values.get(key).or(opened.values.get(key));
            Some(match value {
                Some(value) => out.config_value(file, key, value),
                None => out.fail(&format!(
                    "{key} is not set in {} (the program's default applies)",
                    file.path.display()
                )),
            })
        }
        Verb::Config(ConfigVerb::List) => {
            let shown = req.show_secrets.then_some(&opened.values);
            Some(out.config_list(file, shown))
        }
        _ => None,
    }
}

/// What the program is given: the saved values, with `config set`'s new
/// value or without `config rm`'s key, or with the `--config` overrides.
pub(super) fn effective(
    req: &Request,
    file: &ConfigFile,
    opened: &Opened,
) -> Result<BTreeMap<String, String>, String> {
    let mut values = file.values.clone();
    values.extend(opened.values.clone());
    match &req.verb {
        Verb::Config(ConfigVerb::Set { key, value, .. }) => {
            values.insert(key.clone(), value.clone());
        }
        Verb::Config(ConfigVerb::Rm { key }) => {
            if values.remove(key).is_none() {
                return Err(format!("{key} is not set in {}", file.path.display()));
            }
        }
        _ => values.extend(req.config.clone()),
    }
    Ok(values)
}

/// The error for keys the program did not read, naming the keys it reads.
pub(super) fn unknown_keys(
    req: &Request,
    file: &ConfigFile,
    unread: &[String],
    known: &[String],
) -> String {
    let reads = match known.is_empty() {
        true => "it reads no configuration".to_string(),
        false => format!("it reads: {}", known.join(", ")),
    };
    if let Verb::Config(ConfigVerb::Set { key, .. }) = &req.verb
        && unread.contains(key)
    {
        return format!(
            "config set {key}: the program does not read {key:?}; {reads} (keys are the program's own: namespaced keys such as Pulumi's `aws:region` are not supported)"
        );
    }
    let (given, saved): (Vec<String>, Vec<String>) = unread
        .iter()
        .cloned()
        .partition(|k| req.config.contains_key(k));
    match given.is_empty() {
        false => format!(
            "unknown --config key(s): {} (the program does not read them; {reads})",
            given.join(", ")
        ),
        true => format!(
            "unknown key(s) in {}: {} (the program does not read them; {reads}; remove them with `config rm KEY`)",
            file.path.display(),
            saved.join(", ")
        ),
    }
}

/// Sets `key` in `file`: encrypted when `secret`, else plain.
fn put(
    file: &mut ConfigFile,
    opened: &Opened,
    key: &str,
    value: &str,
    secret: bool,
) -> Result<(), String> {
    file.values.remove(key);
    file.secure.remove(key);
    match (secret, &opened.manager) {
        (false, _) => {
            file.values.insert(key.to_string(), value.to_string());
        }
        (true, Some(manager)) => {
            file.secure.insert(key.to_string(), manager.encrypt(value)?);
        }
        (true, None) => return Err(format!("{key}: the stack's data key is not open")),
    }
    Ok(())
}

/// `config set` and `config rm`, once the program accepted the result:
/// saves the file. `None` for any other verb.
pub(super) fn write(
    req: &Request,
    mut file: ConfigFile,
    opened: &Opened,
    out: Output,
) -> Option<ExitCode> {
    let Verb::Config(verb) = &req.verb else {
        return None;
    };
    // A secret key stays secret when set again without --secret.
    let secret = matches!(verb, ConfigVerb::Set { key, secret, .. } if *secret || file.secure.contains_key(key));
    let changed = match verb {
        ConfigVerb::Set { key, value, .. } => put(&mut file, opened, key, value, secret),
        ConfigVerb::Rm { key } => {
            file.values.remove(key);
            file.secure.remove(key);
            Ok(())
        }
        ConfigVerb::Get { .. } | ConfigVerb::List | ConfigVerb::Rekey => Ok(()),
    };
    if let Err(e) = changed.and_then(|()| file.save()) {
        return Some(out.fail(&e));
    }
    Some(match verb {
        ConfigVerb::Set { key, .. } if secret => {
            out.config_changed(&file, key, Some(crate::secret::MASK))
        }
        ConfigVerb::Set { key, value, .. } => out.config_changed(&file, key, Some(value)),
        ConfigVerb::Rm { key } => out.config_changed(&file, key, None),
        ConfigVerb::Get { .. } | ConfigVerb::List | ConfigVerb::Rekey => ExitCode::Success,
    })
}

/// The file `up` saves its `--config` overrides to (`None`: nothing to
/// save).
/// A `--config` override of a secret key is saved encrypted.
pub(super) fn saved_by_up(
    req: &Request,
    mut file: ConfigFile,
    opened: &Opened,
) -> Result<Option<ConfigFile>, String> {
    let before = file.clone();
    if req.verb != Verb::Up {
        return Ok(None);
    }
    for (key, value) in &req.config {
        let secret = file.secure.contains_key(key);
        if secret && opened.values.get(key) == Some(value) {
            continue;
        }
        put(&mut file, opened, key, value, secret)?;
    }
    Ok((file != before).then_some(file))
}
