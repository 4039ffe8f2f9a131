//! What a global table is, as Meridian reads it: the spec the inputs ask
//! for (`TableSpec`), the checks AWS would apply before any call, and the
//! outputs and inputs read back from a `TableDescription`.

use crate::aws::kit::{check_required_str, given_list, given_str, opt_str, req_str};
use aws_sdk_dynamodb::types::{BillingMode, KeyType, TableDescription};
use meridian_engine::{CheckFailure, ProviderError, UNKNOWN};
use meridian_schema::Region;
use meridian_schema::aws::dynamodb as schema;
use meridian_schema::aws::dynamodb::global_table::{input, output};
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;

pub(super) const PAY_PER_REQUEST: &str = schema::BillingMode::PayPerRequest.as_str();
pub(super) const PROVISIONED: &str = schema::BillingMode::Provisioned.as_str();

/// A key attribute.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct KeySpec {
    pub(super) name: String,
    pub(super) attr_type: String,
}

impl KeySpec {
    pub(super) fn from_input(v: &Value) -> Option<KeySpec> {
        Some(KeySpec {
            name: opt_str(v, input::key::NAME)?.to_string(),
            attr_type: opt_str(v, input::key::TYPE)?.to_string(),
        })
    }

    pub(super) fn to_json(&self) -> Value {
        json!({input::key::NAME: self.name, input::key::TYPE: self.attr_type})
    }
}

#[derive(Clone, Debug, PartialEq)]
pub(super) enum Billing {
    PayPerRequest,
    Provisioned { read: i64, write: i64 },
}

/// The table the inputs ask for.
#[derive(Clone, Debug)]
pub(super) struct TableSpec {
    pub(super) name: String,
    pub(super) partition_key: KeySpec,
    pub(super) sort_key: Option<KeySpec>,
    pub(super) billing: Billing,
    pub(super) replicas: Vec<String>,
}

impl TableSpec {
    pub(super) fn from_inputs(inputs: &Value) -> Result<TableSpec, ProviderError> {
        let key = |k: &str| {
            inputs.get(k).and_then(KeySpec::from_input).ok_or_else(|| {
                ProviderError::permanent(format!("input {k:?} must be {{name, type}}"))
            })
        };
        let billing = match opt_str(inputs, input::BILLING_MODE).unwrap_or(PAY_PER_REQUEST) {
            PROVISIONED => Billing::Provisioned {
                read: inputs
                    .get(input::READ_CAPACITY)
                    .and_then(Value::as_i64)
                    .unwrap_or(1),
                write: inputs
                    .get(input::WRITE_CAPACITY)
                    .and_then(Value::as_i64)
                    .unwrap_or(1),
            },
            _ => Billing::PayPerRequest,
        };
        Ok(TableSpec {
            name: req_str(inputs, input::TABLE_NAME)?.to_string(),
            partition_key: key(input::PARTITION_KEY)?,
            sort_key: match inputs.get(input::SORT_KEY) {
                None | Some(Value::Null) => None,
                Some(_) => Some(key(input::SORT_KEY)?),
            },
            billing,
            replicas: string_list(inputs.get(input::REPLICA_REGIONS)),
        })
    }
}

pub(super) fn string_list(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

pub(super) fn bad(
    what: &str,
) -> impl Fn(aws_smithy_types::error::operation::BuildError) -> ProviderError + '_ {
    move |e| ProviderError::permanent(format!("building {what}: {e}"))
}

// ---------------------------------------------------------------------------
// check

/// AWS's table name rule: 3–255 characters of `[a-zA-Z0-9_.-]`.
pub(super) fn check_table_name(name: &str) -> Option<String> {
    if !(3..=255).contains(&name.len()) {
        return Some(format!(
            "{name:?} is {} characters long; a table name has 3 to 255",
            name.len()
        ));
    }
    name.chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')))
        .map(|c| format!("{name:?} contains {c:?}; use letters, digits, '_', '.' and '-'"))
}

pub(super) fn check_key(
    path: &str,
    v: Option<&Value>,
    required: bool,
    out: &mut Vec<CheckFailure>,
) {
    match v {
        None | Some(Value::Null) if required => out.push(CheckFailure::new(path, "is required")),
        None | Some(Value::Null) => {}
        Some(Value::String(s)) if s == UNKNOWN => {}
        Some(Value::Object(o)) => {
            match o.get(input::key::NAME) {
                Some(Value::String(n)) if n == UNKNOWN => {}
                Some(Value::String(n)) if (1..=255).contains(&n.len()) => {}
                Some(Value::String(_)) => out.push(CheckFailure::new(
                    &format!("{path}.name"),
                    "must be 1 to 255 characters",
                )),
                _ => out.push(CheckFailure::new(&format!("{path}.name"), "is required")),
            }
            match o.get(input::key::TYPE).and_then(Value::as_str) {
                Some(t) if schema::AttributeType::from_name(t).is_some() => {}
                Some(t) if t == UNKNOWN => {}
                Some(t) => out.push(CheckFailure::new(
                    &format!("{path}.type"),
                    format!("{t:?} is not a key type (S, N or B)"),
                )),
                None => out.push(CheckFailure::new(
                    &format!("{path}.type"),
                    "is required (S, N or B)",
                )),
            }
        }
        Some(_) => out.push(CheckFailure::new(path, "must be {name, type}")),
    }
}

pub(super) fn check_table(region: &str, inputs: &Value) -> Vec<CheckFailure> {
    let mut out = Vec::new();
    check_required_str(inputs, input::TABLE_NAME, &mut out);
    if let Some(n) = given_str(inputs, input::TABLE_NAME)
        && let Some(problem) = check_table_name(n)
    {
        out.push(CheckFailure::new(input::TABLE_NAME, problem));
    }
    check_key(
        input::PARTITION_KEY,
        inputs.get(input::PARTITION_KEY),
        true,
        &mut out,
    );
    check_key(
        input::SORT_KEY,
        inputs.get(input::SORT_KEY),
        false,
        &mut out,
    );
    let pk = inputs
        .pointer("/partition_key/name")
        .and_then(Value::as_str);
    let sk = inputs.pointer("/sort_key/name").and_then(Value::as_str);
    if let (Some(p), Some(s)) = (pk, sk)
        && p == s
        && p != UNKNOWN
    {
        out.push(CheckFailure::new(
            "sort_key.name",
            "must differ from the partition key's name",
        ));
    }

    let billing = match inputs.get(input::BILLING_MODE) {
        None | Some(Value::Null) => Some(PAY_PER_REQUEST),
        Some(Value::String(s)) if s == UNKNOWN => None,
        Some(Value::String(s)) if s == PAY_PER_REQUEST || s == PROVISIONED => Some(s.as_str()),
        Some(v) => {
            out.push(CheckFailure::new(
                input::BILLING_MODE,
                format!("{v} is not PAY_PER_REQUEST or PROVISIONED"),
            ));
            None
        }
    };
    for key in [input::READ_CAPACITY, input::WRITE_CAPACITY] {
        match (billing, inputs.get(key)) {
            (_, Some(Value::String(s))) if s == UNKNOWN => {}
            (Some(PROVISIONED), Some(v)) if v.as_i64().is_some_and(|n| n >= 1) => {}
            (Some(PROVISIONED), Some(_)) => out.push(CheckFailure::new(
                key,
                "must be a whole number of at least 1",
            )),
            (Some(PROVISIONED), None) => out.push(CheckFailure::new(
                key,
                "is required with billing_mode PROVISIONED",
            )),
            (Some(_), Some(v)) if !v.is_null() => out.push(CheckFailure::new(
                key,
                "is only for billing_mode PROVISIONED",
            )),
            _ => {}
        }
    }

    if let Some(items) = given_list(
        inputs,
        input::REPLICA_REGIONS,
        "must be a list of region names",
        &mut out,
    ) {
        let mut seen = BTreeSet::new();
        for (i, item) in items.iter().enumerate() {
            let path = format!("replica_regions.{i}");
            match item.as_str() {
                Some(r) if r == UNKNOWN => {}
                Some(r) if r == region => out.push(CheckFailure::new(
                    &path,
                    format!(
                        "{r} is the table's own region (the primary); list only the other regions"
                    ),
                )),
                Some(r) if !Region::NAMES.contains(&r) => out.push(CheckFailure::new(
                    &path,
                    format!("unknown AWS region {r:?}"),
                )),
                Some(r) => {
                    if !seen.insert(r) {
                        out.push(CheckFailure::new(&path, format!("{r} is listed twice")));
                    }
                }
                None => out.push(CheckFailure::new(&path, "must be a region name")),
            }
        }
        if billing == Some(PROVISIONED) && !items.is_empty() {
            out.push(CheckFailure::new(
                input::BILLING_MODE,
                "a table with replicas needs PAY_PER_REQUEST (AWS requires write auto scaling \
                     for provisioned global tables, which Meridian does not manage)",
            ));
        }
    }
    out
}

/// Inputs with defaults filled and replicas as a sorted set, for diffing.
pub(super) fn normalized(inputs: &Value) -> Value {
    let mut v = inputs.clone();
    if let Some(o) = v.as_object_mut() {
        if matches!(o.get(input::BILLING_MODE), None | Some(Value::Null)) {
            o.insert(input::BILLING_MODE.into(), json!(PAY_PER_REQUEST));
        }
        match o.get_mut(input::REPLICA_REGIONS) {
            Some(Value::Array(a)) => {
                a.sort_by_key(|x| x.to_string());
            }
            None | Some(Value::Null) => {
                o.insert(input::REPLICA_REGIONS.into(), json!([]));
            }
            Some(_) => {}
        }
        if matches!(o.get(input::SORT_KEY), Some(Value::Null)) {
            o.remove(input::SORT_KEY);
        }
    }
    v
}

/// Replica regions other than `primary`, with their status.
pub(super) fn replicas_of(table: &TableDescription, primary: &str) -> Vec<(String, String)> {
    table
        .replicas()
        .iter()
        .filter_map(|r| {
            let region = r.region_name()?;
            (region != primary).then(|| {
                (
                    region.to_string(),
                    r.replica_status()
                        .map(|s| s.as_str().to_string())
                        .unwrap_or_else(|| "ACTIVE".into()),
                )
            })
        })
        .collect()
}

/// The table ARN in `region`: the primary's with the region swapped (a
/// replica keeps the table's name and account).
pub(super) fn arn_in(primary_arn: &str, region: &str) -> String {
    let mut parts: Vec<&str> = primary_arn.splitn(6, ':').collect();
    if parts.len() == 6 {
        parts[3] = region;
        parts.join(":")
    } else {
        primary_arn.to_string()
    }
}

/// All regions, primary first, then the replicas in the order the inputs
/// list them, then any others alphabetically.
pub(super) fn ordered_regions(
    primary: &str,
    replicas: &[String],
    preferred: &[String],
) -> Vec<String> {
    let mut out = vec![primary.to_string()];
    for r in preferred {
        if replicas.contains(r) && !out.contains(r) {
            out.push(r.clone());
        }
    }
    let mut rest: Vec<&String> = replicas.iter().filter(|r| !out.contains(r)).collect();
    rest.sort();
    out.extend(rest.into_iter().cloned());
    out
}

pub(super) fn table_outputs(
    table: &TableDescription,
    primary: &str,
    preferred: &[String],
) -> Value {
    let arn = table.table_arn().unwrap_or_default();
    let replicas: Vec<String> = replicas_of(table, primary)
        .into_iter()
        .filter(|(_, status)| status != "DELETING")
        .map(|(r, _)| r)
        .collect();
    let regions = ordered_regions(primary, &replicas, preferred);
    let arns: Map<String, Value> = regions
        .iter()
        .map(|r| (r.clone(), json!(arn_in(arn, r))))
        .collect();
    json!({
        output::TABLE_NAME: table.table_name(),
        output::ARN: arn,
        output::ARNS: arns,
        output::STREAM_ARN: table.latest_stream_arn(),
        output::REGIONS: regions,
    })
}

pub(super) fn key_spec_of(table: &TableDescription, key_type: KeyType) -> Option<KeySpec> {
    let name = table
        .key_schema()
        .iter()
        .find(|k| *k.key_type() == key_type)?
        .attribute_name()
        .to_string();
    let attr_type = table
        .attribute_definitions()
        .iter()
        .find(|a| a.attribute_name() == name)
        .map(|a| a.attribute_type().as_str().to_string())
        .unwrap_or_default();
    Some(KeySpec { name, attr_type })
}

pub(super) fn billing_of(table: &TableDescription) -> Billing {
    match table.billing_mode_summary().and_then(|b| b.billing_mode()) {
        Some(BillingMode::PayPerRequest) => Billing::PayPerRequest,
        _ => {
            let t = table.provisioned_throughput();
            Billing::Provisioned {
                read: t.and_then(|t| t.read_capacity_units()).unwrap_or(0),
                write: t.and_then(|t| t.write_capacity_units()).unwrap_or(0),
            }
        }
    }
}

/// The inputs as the cloud holds them, keeping the recorded spelling where
/// the cloud agrees (absent defaults, replica order).
pub(super) fn inputs_from_cloud(
    recorded: &Value,
    table: &TableDescription,
    primary: &str,
) -> Value {
    let mut inputs = Map::new();
    inputs.insert(input::TABLE_NAME.into(), json!(table.table_name()));
    if let Some(pk) = key_spec_of(table, KeyType::Hash) {
        inputs.insert(input::PARTITION_KEY.into(), pk.to_json());
    }
    if let Some(sk) = key_spec_of(table, KeyType::Range) {
        inputs.insert(input::SORT_KEY.into(), sk.to_json());
    }
    match billing_of(table) {
        Billing::PayPerRequest => {
            if recorded.get(input::BILLING_MODE).is_some() {
                inputs.insert(input::BILLING_MODE.into(), json!(PAY_PER_REQUEST));
            }
        }
        Billing::Provisioned { read, write } => {
            inputs.insert(input::BILLING_MODE.into(), json!(PROVISIONED));
            inputs.insert(input::READ_CAPACITY.into(), json!(read));
            inputs.insert(input::WRITE_CAPACITY.into(), json!(write));
        }
    }
    let cloud: Vec<String> = replicas_of(table, primary)
        .into_iter()
        .filter(|(_, status)| status != "DELETING")
        .map(|(r, _)| r)
        .collect();
    let recorded_list = string_list(recorded.get(input::REPLICA_REGIONS));
    let same =
        cloud.iter().collect::<BTreeSet<_>>() == recorded_list.iter().collect::<BTreeSet<_>>();
    if same {
        if let Some(v) = recorded.get(input::REPLICA_REGIONS) {
            inputs.insert(input::REPLICA_REGIONS.into(), v.clone());
        }
    } else {
        let ordered = ordered_regions(primary, &cloud, &recorded_list);
        inputs.insert(input::REPLICA_REGIONS.into(), json!(ordered[1..]));
    }
    Value::Object(inputs)
}
