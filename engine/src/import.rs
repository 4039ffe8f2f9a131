//! Import: bringing a resource that already exists in the cloud (made by
//! hand, by the CDK, by another tool) under a declaration of the program,
//! without changing it in the cloud.
//!
//! Algorithm: every request is checked first, all at once (the name is
//! declared, is no data source, is not recorded yet, is named once, and its
//! type reads import ids). Then, in dependency order, each resource's inputs
//! are resolved against the outputs known so far (recorded ones, and those
//! of resources imported before it in the same batch), its provider reads it
//! by the import id (tagged or not), and the planner's own `decide` compares
//! what the cloud has with what the program says: the differences become the
//! update the next `up` applies, and a difference that would replace the
//! resource is an error naming the property. Nothing is written here; the
//! records are written, journaled, by [`record`].

use crate::call::{READ_TIMEOUT, bounded};
use crate::graph::ResourceGraph;
use crate::journal::{self, Subject};
use crate::model::{UNKNOWN, contains_unknown};
use crate::plan::{self, Known, Op, PlanError};
use crate::provider::{OpContext, PropertyChange, ProviderError};
use meridian_state::{Completion, OperationKind, ResourceRecord, StackState, StateStore};
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;

/// One resource to import: its name as the program declares it, and its
/// import id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportRequest {
    pub name: String,
    pub id: String,
}

/// A resource read by its import id, ready to be recorded.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Imported {
    pub name: String,
    pub urn: String,
    #[serde(rename = "type")]
    pub type_token: String,
    pub region: String,
    /// The import id it was read by.
    pub import_id: String,
    /// Its physical id, as the state records it.
    pub id: String,
    /// What the next `up` changes in place to make it match the program
    /// (never a replacement).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<PropertyChange>,
    /// The record written: the inputs and outputs as the cloud has them.
    #[serde(skip)]
    pub record: ResourceRecord,
}

/// Why a resource cannot be imported. Each names the resource and what to do.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ImportError {
    #[error(
        "{name:?} is not declared by the program: `import NAME ID` takes the name the program gives the resource"
    )]
    NotDeclared { name: String },
    #[error("{name:?} is named twice in one import")]
    Duplicate { name: String },
    #[error("{name:?} ({type_token}) is a data source: it is read at every run, never imported")]
    DataSource { name: String, type_token: String },
    #[error("{type_token} (resource {name:?}) cannot be imported: its provider reads no import id")]
    NotImportable { name: String, type_token: String },
    #[error(
        "{name:?} ({type_token}, {region}) is already in the state (id {id}): nothing to import. To import another resource under this name, forget it first with `state rm {name}`"
    )]
    AlreadyRecorded {
        name: String,
        type_token: String,
        region: String,
        id: String,
    },
    #[error(
        "no {type_token} with import id {id:?} in {region} (resource {name:?}); the import id of this type is {format} (docs/import.md)"
    )]
    NotFound {
        name: String,
        type_token: String,
        region: String,
        id: String,
        format: String,
    },
    #[error("cannot import {name:?} ({type_token}, {region}) by id {id:?}: {error}")]
    Read {
        name: String,
        type_token: String,
        region: String,
        id: String,
        error: ProviderError,
    },
    #[error(
        "cannot import {name:?} ({type_token}, {region}) by id {id:?}: {} (an import never replaces what it imports: make the program say what the cloud has, or import another resource)",
        describe_replacing(changes)
    )]
    WouldReplace {
        name: String,
        type_token: String,
        region: String,
        id: String,
        changes: Vec<PropertyChange>,
    },
    #[error("{0}")]
    Plan(PlanError),
}

fn describe_replacing(changes: &[PropertyChange]) -> String {
    let show = |v: &Option<Value>| match v {
        Some(Value::String(s)) if s == UNKNOWN => {
            "a value not known until its dependencies exist".to_string()
        }
        Some(v) => v.to_string(),
        None => "nothing".to_string(),
    };
    changes
        .iter()
        .filter(|c| c.forces_replacement)
        .map(|c| {
            format!(
                "the program's {} ({}) differs from the cloud's ({}), and that change forces replacement",
                c.path,
                show(&c.new),
                show(&c.old)
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The requests the program makes itself: every declared resource with an
/// `import_id` option that the state does not record yet.
pub fn declared_requests(graph: &ResourceGraph, state: &StackState) -> Vec<ImportRequest> {
    graph
        .nodes
        .iter()
        .filter_map(|n| {
            let id = n.decl.options.import_id.as_ref()?;
            if state.resources.contains_key(&n.urn) {
                return None;
            }
            Some(ImportRequest {
                name: n.decl.name.clone(),
                id: id.clone(),
            })
        })
        .collect()
}

/// Checks every request without a call; all problems at once.
fn check_requests(
    graph: &ResourceGraph,
    state: &StackState,
    requests: &[ImportRequest],
) -> Vec<ImportError> {
    let mut errors = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for r in requests {
        let name = r.name.clone();
        if !seen.insert(r.name.as_str()) {
            errors.push(ImportError::Duplicate { name });
            continue;
        }
        let Some(&i) = graph.by_name.get(&r.name) else {
            errors.push(ImportError::NotDeclared { name });
            continue;
        };
        let n = &graph.nodes[i];
        let type_token = n.decl.type_token.clone();
        if n.info.data_source {
            errors.push(ImportError::DataSource { name, type_token });
        } else if let Some(rec) = state.resources.get(&n.urn) {
            errors.push(ImportError::AlreadyRecorded {
                name,
                type_token,
                region: rec.region.clone(),
                id: rec.id.clone(),
            });
        } else if n.provider.import_id_format(&type_token).is_none() {
            errors.push(ImportError::NotImportable { name, type_token });
        }
    }
    errors
}

/// Reads every requested resource by its import id and decides what its
/// record is and what the next `up` changes. Changes nothing, in the cloud
/// or in the state.
/// `reads` holds the data sources' outputs (as the planner takes them).
pub async fn read(
    graph: &ResourceGraph,
    state: &StackState,
    reads: &DataSourceReads,
    requests: &[ImportRequest],
) -> Result<Vec<Imported>, Vec<ImportError>> {
    let errors = check_requests(graph, state, requests);
    if !errors.is_empty() {
        return Err(errors);
    }
    let wanted: HashMap<usize, &str> = requests
        .iter()
        .map(|r| (graph.by_name[&r.name], r.id.as_str()))
        .collect();
    let mut imported: Vec<Imported> = Vec::new();
    let mut errors = Vec::new();
    for &i in graph.order.iter().filter(|i| wanted.contains_key(i)) {
        let known = KnownSoFar {
            state,
            reads,
            before: &imported,
        };
        match read_one(graph, &known, i, wanted[&i]).await {
            Ok(found) => imported.push(found),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(imported)
    } else {
        Err(errors)
    }
}

/// Reads declared node `i` by `import_id`; its inputs resolve against
/// the state and what this batch imported before it.
async fn read_one(
    graph: &ResourceGraph,
    known: &KnownSoFar<'_>,
    i: usize,
    import_id: &str,
) -> Result<Imported, ImportError> {
    let n = &graph.nodes[i];
    let (name, type_token, region) = (&n.decl.name, &n.decl.type_token, &n.decl.region);
    let inputs =
        plan::resolve_inputs(graph, i, &|r| known.outputs(graph, r)).map_err(ImportError::Plan)?;
    let ctx = OpContext::new(&n.urn, name, region, "", READ_TIMEOUT);
    let span =
        tracing::info_span!("import", resource = %name, r#type = %type_token, region = %region);
    let read = tracing::Instrument::instrument(
        bounded(
            READ_TIMEOUT,
            n.provider.import(&ctx, type_token, import_id, &inputs),
        ),
        span,
    )
    .await;
    let found = read.map_err(|error| ImportError::Read {
        name: name.clone(),
        type_token: type_token.clone(),
        region: region.clone(),
        id: import_id.to_string(),
        error,
    })?;
    let Some(found) = found else {
        return Err(ImportError::NotFound {
            name: name.clone(),
            type_token: type_token.clone(),
            region: region.clone(),
            id: import_id.to_string(),
            format: n.provider.import_id_format(type_token).unwrap_or_default(),
        });
    };
    let cloud_inputs = found
        .inputs
        .filter(|v| !contains_unknown(v))
        .unwrap_or_else(|| inputs.clone());
    let record = Subject::of_node(graph, i).record(found.id.clone(), cloud_inputs, found.outputs);
    let replacing = |changes| ImportError::WouldReplace {
        name: name.clone(),
        type_token: type_token.clone(),
        region: region.clone(),
        id: import_id.to_string(),
        changes,
    };
    let changes = match plan::decide(graph, i, &inputs, Some(&record)) {
        Ok((Op::Replace, changes, _)) => return Err(replacing(changes)),
        Ok((_, changes, _)) => changes,
        // A protected resource's replacement is refused all the same.
        Err(PlanError::Protected { .. }) => {
            let mut diff = n.provider.diff(type_token, &record.inputs, &inputs);
            diff.changes.retain(|c| c.forces_replacement);
            return Err(replacing(diff.changes));
        }
        Err(e) => return Err(ImportError::Plan(e)),
    };
    Ok(Imported {
        name: name.clone(),
        urn: n.urn.clone(),
        type_token: type_token.clone(),
        region: region.clone(),
        import_id: import_id.to_string(),
        id: found.id,
        changes,
        record,
    })
}

/// The data sources' outputs, by name, as the caller read them.
pub type DataSourceReads = HashMap<String, Result<Option<Value>, String>>;

/// The outputs known while importing: recorded ones, the data sources'
/// reads, and those of the resources imported before in the same batch.
struct KnownSoFar<'a> {
    state: &'a StackState,
    reads: &'a DataSourceReads,
    before: &'a [Imported],
}

impl<'a> KnownSoFar<'a> {
    fn outputs(&self, graph: &ResourceGraph, name: &str) -> Option<Known<'a>> {
        if let Some(found) = self.before.iter().find(|f| f.name == name) {
            return Some(Known::Outputs(&found.record.outputs));
        }
        if let Some(Ok(Some(outputs))) = self.reads.get(name) {
            return Some(Known::Outputs(outputs));
        }
        let dep = &graph.nodes[*graph.by_name.get(name)?];
        self.state
            .resources
            .get(&dep.urn)
            .filter(|rec| !rec.pending_delete)
            .map(|rec| Known::Outputs(&rec.outputs))
    }
}

/// `state` with `imported` recorded (in memory only), to plan against.
pub fn with_imported(state: &StackState, imported: &[Imported]) -> StackState {
    let mut state = state.clone();
    for f in imported {
        state.resources.insert(f.urn.clone(), f.record.clone());
    }
    state
}

/// Records `imported`, each journaled like any other write: the journal
/// entry (an update of nothing, with the physical id) is durable first, then
/// the record and the entry's removal in one batch. A crash between the two
/// leaves an entry the next run settles by reading the resource by its id.
/// Nothing is sent to the cloud.
pub fn record(store: &dyn StateStore, imported: &[Imported]) -> Result<(), String> {
    for f in imported {
        let subject = Subject::of_record(&f.record);
        let mut entry = subject.pending(&f.urn, OperationKind::Update, "", &f.record.inputs, None);
        entry.id = Some(f.id.clone());
        journal::begin(store, &entry)?;
        journal::complete(store, &f.urn, Completion::Put(f.record.clone()))?;
    }
    Ok(())
}

/// The errors as one message, one line each.
pub fn describe(errors: &[ImportError]) -> String {
    let lines: Vec<String> = errors.iter().map(|e| format!("  - {e}")).collect();
    format!("nothing was imported:\n{}", lines.join("\n"))
}
