//! The stack's saved configuration on the command line: which file, what
//! the program is given (saved values, then `--config` overrides, or the
//! value `config set` is about to save), the check that the program reads
//! every key, and the `config` verbs.

use super::exit::ExitCode;
use super::output::Output;
use super::request::{ConfigVerb, Request, Verb};
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
pub(super) fn read_only(req: &Request, file: &ConfigFile, out: Output) -> Option<ExitCode> {
    match &req.verb {
        Verb::Config(ConfigVerb::Get { key }) => Some(match file.values.get(key) {
            Some(value) => out.config_value(file, key, value),
            None => out.fail(&format!(
                "{key} is not set in {} (the program's default applies)",
                file.path.display()
            )),
        }),
        Verb::Config(ConfigVerb::List) => Some(out.config_list(file)),
        _ => None,
    }
}

/// What the program is given: the saved values, with `config set`'s new
/// value or without `config rm`'s key, or with the `--config` overrides.
pub(super) fn effective(
    req: &Request,
    file: &ConfigFile,
) -> Result<BTreeMap<String, String>, String> {
    let mut values = file.values.clone();
    match &req.verb {
        Verb::Config(ConfigVerb::Set { key, value }) => {
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

/// `config set` and `config rm`, once the program accepted the result:
/// saves `values`. `None` for any other verb.
pub(super) fn write(
    req: &Request,
    mut file: ConfigFile,
    values: BTreeMap<String, String>,
    out: Output,
) -> Option<ExitCode> {
    let Verb::Config(verb) = &req.verb else {
        return None;
    };
    file.values = values;
    if let Err(e) = file.save() {
        return Some(out.fail(&e));
    }
    Some(match verb {
        ConfigVerb::Set { key, value } => out.config_changed(&file, key, Some(value)),
        ConfigVerb::Rm { key } => out.config_changed(&file, key, None),
        ConfigVerb::Get { .. } | ConfigVerb::List => ExitCode::Success,
    })
}

/// The file `up` saves its `--config` overrides to (`None`: nothing to
/// save).
pub(super) fn saved_by_up(
    req: &Request,
    mut file: ConfigFile,
    values: BTreeMap<String, String>,
) -> Option<ConfigFile> {
    if req.verb != Verb::Up || req.config.is_empty() || file.values == values {
        return None;
    }
    file.values = values;
    Some(file)
}
