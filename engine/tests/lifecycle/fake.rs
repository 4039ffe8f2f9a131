//! An in-memory fake provider for engine lifecycle tests (as Pulumi's
//! lifecycle tests do): a "cloud" that outlives engine runs, configurable
//! latencies and failures, generated or fixed physical names, and a log of
//! every call.

use async_trait::async_trait;
use meridian_engine::{
    CheckFailure, Created, Diff, ErrorKind, OpContext, Provider, ProviderError, ReadRequest,
    ReadResult, TypeInfo, UNKNOWN,
};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const RES: &str = "fake:index:Res";
pub const PROTECTED: &str = "fake:index:Data";
pub const LOOKUP: &str = "fake:index:Lookup";
/// Like an API Gateway deployment: a copy of what is live when it is created.
pub const SNAPSHOT: &str = "fake:index:Snapshot";

#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    pub method: &'static str,
    pub name: String,
    pub id: String,
}

/// (method, resource name, target of the call's provider configuration).
pub type TargetSeen = (&'static str, String, Option<String>);

#[derive(Default)]
pub struct Cloud {
    /// id -> (name, inputs)
    pub resources: BTreeMap<String, (String, Value)>,
    /// token -> id, for finding an interrupted create.
    pub by_token: HashMap<String, String>,
    pub calls: Vec<Call>,
    /// Snapshot id -> the names live in the cloud when it was created.
    pub snapshots: BTreeMap<String, Vec<String>>,
    next: u64,
}

#[derive(Clone, Default)]
pub struct FakeProvider {
    pub cloud: Arc<Mutex<Cloud>>,
    /// name -> remaining failures of create/update/delete.
    pub fail: Arc<Mutex<HashMap<String, u32>>>,
    /// name -> error kind of its failures (default Permanent).
    pub fail_kind: Arc<Mutex<HashMap<String, ErrorKind>>>,
    /// Create succeeds in the cloud but then reports an error (a timeout
    /// after the fact).
    pub fail_after_create: Arc<Mutex<HashMap<String, u32>>>,
    /// Names whose create panics (a provider bug).
    pub panic_on_create: Arc<Mutex<std::collections::HashSet<String>>>,
    pub latency: Duration,
    pub in_flight: Arc<std::sync::atomic::AtomicUsize>,
    pub max_in_flight: Arc<std::sync::atomic::AtomicUsize>,
    /// Which provider configuration each mutating call came through.
    pub targets: Arc<Mutex<Vec<TargetSeen>>>,
}

/// Counts a mutating call in flight for as long as it lives.
struct InFlight(Arc<std::sync::atomic::AtomicUsize>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

impl FakeProvider {
    pub fn new() -> Self {
        Self::default()
    }

    /// A provider whose mutating calls each take `millis`.
    pub fn with_latency(millis: u64) -> Self {
        FakeProvider {
            latency: Duration::from_millis(millis),
            ..Self::default()
        }
    }

    /// The most mutating calls that were ever in flight at once.
    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn enter(&self) -> InFlight {
        use std::sync::atomic::Ordering::SeqCst;
        let now = self.in_flight.fetch_add(1, SeqCst) + 1;
        self.max_in_flight.fetch_max(now, SeqCst);
        InFlight(self.in_flight.clone())
    }

    async fn pause(&self) -> InFlight {
        let guard = self.enter();
        if !self.latency.is_zero() {
            tokio::time::sleep(self.latency).await;
        }
        guard
    }

    pub fn calls(&self) -> Vec<Call> {
        self.cloud.lock().unwrap().calls.clone()
    }

    pub fn mutating_calls(&self) -> Vec<Call> {
        self.calls()
            .into_iter()
            .filter(|c| !matches!(c.method, "read" | "import"))
            .collect()
    }

    pub fn clear_calls(&self) {
        self.cloud.lock().unwrap().calls.clear();
    }

    pub fn live_names(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .cloud
            .lock()
            .unwrap()
            .resources
            .values()
            .map(|(n, _)| n.clone())
            .collect();
        v.sort();
        v
    }

    pub fn fail_next(&self, name: &str, times: u32) {
        self.fail.lock().unwrap().insert(name.to_string(), times);
    }

    fn should_fail(&self, name: &str) -> Option<ProviderError> {
        let mut f = self.fail.lock().unwrap();
        match f.get_mut(name) {
            Some(n) if *n > 0 => {
                *n -= 1;
                let kind = self
                    .fail_kind
                    .lock()
                    .unwrap()
                    .get(name)
                    .copied()
                    .unwrap_or(ErrorKind::Permanent);
                Some(ProviderError {
                    kind,
                    message: format!("injected failure for {name}"),
                    hint: None,
                })
            }
            _ => None,
        }
    }

    /// Starts a mutating call: notes which provider configuration it came
    /// through, then holds it in flight for the latency.
    async fn start(&self, method: &'static str, ctx: &OpContext) -> InFlight {
        let target = ctx.provider_config.as_ref().map(|c| c.target.clone());
        let call = (method, ctx.name.clone(), target);
        self.targets.lock().unwrap().push(call);
        self.pause().await
    }

    /// A resource that exists outside Meridian (made by hand): `id` with
    /// `inputs`, found by no token.
    pub fn put_existing(&self, id: &str, inputs: Value) {
        let mut c = self.cloud.lock().unwrap();
        c.resources
            .insert(id.to_string(), ("outside".to_string(), inputs));
    }

    fn log(&self, method: &'static str, name: &str, id: &str) {
        self.cloud.lock().unwrap().calls.push(Call {
            method,
            name: name.to_string(),
            id: id.to_string(),
        });
    }
}

fn outputs(id: &str, inputs: &Value) -> Value {
    let mut o = inputs.as_object().cloned().unwrap_or_default();
    o.insert("id".into(), json!(id));
    o.insert("arn".into(), json!(format!("arn:fake:{id}")));
    Value::Object(o)
}

#[async_trait]
impl Provider for FakeProvider {
    fn name(&self) -> &str {
        "fake"
    }

    fn types(&self) -> Vec<TypeInfo> {
        vec![
            TypeInfo {
                taggable: true,
                ..TypeInfo::resource(RES)
            },
            TypeInfo {
                protect_by_default: true,
                retain_by_default: true,
                ..TypeInfo::resource(PROTECTED)
            },
            TypeInfo::data_source(LOOKUP),
            TypeInfo {
                snapshots_dependencies: true,
                ..TypeInfo::resource(SNAPSHOT)
            },
        ]
    }

    fn check(&self, _type_token: &str, _region: &str, inputs: &Value) -> Vec<CheckFailure> {
        match inputs.get("size") {
            Some(Value::Number(n)) if n.as_i64().is_some_and(|v| v < 0) => {
                vec![CheckFailure::new("size", "must not be negative")]
            }
            Some(Value::String(s)) if s != UNKNOWN => {
                vec![CheckFailure::new("size", "must be a number")]
            }
            _ => Vec::new(),
        }
    }

    fn outputs_changed_by_update(
        &self,
        _type_token: &str,
        old_inputs: &Value,
        new_inputs: &Value,
        old_outputs: &Value,
    ) -> Vec<String> {
        // `opaque_outputs`: a provider that cannot tell before the call.
        if new_inputs.get("opaque_outputs") == Some(&json!(true)) {
            return Vec::new();
        }
        meridian_engine::provider::outputs_echoing_changed_inputs(
            old_inputs,
            new_inputs,
            old_outputs,
        )
    }

    fn diff(&self, _type_token: &str, old: &Value, new: &Value) -> Diff {
        let mut d = Diff::top_level(old, new, &["key", "fixed_name"]);
        d.delete_before_replace = new.get("fixed_name").is_some();
        d
    }

    async fn create(
        &self,
        ctx: &OpContext,
        type_token: &str,
        inputs: &Value,
    ) -> Result<Created, ProviderError> {
        let _in_flight = self.start("create", ctx).await;
        if self.panic_on_create.lock().unwrap().contains(&ctx.name) {
            panic!("injected panic creating {}", ctx.name);
        }
        if let Some(e) = self.should_fail(&ctx.name) {
            self.log("create-failed", &ctx.name, "");
            return Err(e);
        }
        let id = {
            let mut c = self.cloud.lock().unwrap();
            let id = match inputs.get("fixed_name").and_then(Value::as_str) {
                Some(n) => {
                    if c.resources.contains_key(n) {
                        return Err(ProviderError::permanent(format!("{n} already exists")));
                    }
                    n.to_string()
                }
                None => {
                    c.next += 1;
                    format!("{}-{}", ctx.name, c.next)
                }
            };
            if type_token == SNAPSHOT {
                let mut live: Vec<String> = c.resources.values().map(|(n, _)| n.clone()).collect();
                live.sort();
                c.snapshots.insert(id.clone(), live);
            }
            c.resources
                .insert(id.clone(), (ctx.name.clone(), inputs.clone()));
            c.by_token.insert(ctx.token.clone(), id.clone());
            id
        };
        self.log("create", &ctx.name, &id);
        let after = {
            let mut f = self.fail_after_create.lock().unwrap();
            match f.get_mut(&ctx.name) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    true
                }
                _ => false,
            }
        };
        if after {
            return Err(ProviderError::unknown("timed out waiting for the response"));
        }
        Ok(Created {
            outputs: outputs(&id, inputs),
            id,
        })
    }

    async fn read(
        &self,
        ctx: &OpContext,
        req: ReadRequest<'_>,
    ) -> Result<Option<ReadResult>, ProviderError> {
        let c = self.cloud.lock().unwrap();
        if req.type_token == LOOKUP {
            let wanted = req.inputs.get("name").and_then(Value::as_str).unwrap_or("");
            drop(c);
            self.log("read", &ctx.name, wanted);
            if wanted == "missing" {
                return Ok(None);
            }
            return Ok(Some(ReadResult {
                id: wanted.to_string(),
                inputs: None,
                outputs: json!({"id": wanted, "value": format!("looked-up-{wanted}")}),
            }));
        }
        let id = match req.id {
            Some(id) => Some(id.to_string()),
            None => c.by_token.get(&ctx.token).cloned(),
        };
        let found = id.and_then(|id| {
            c.resources.get(&id).map(|(_, inputs)| ReadResult {
                id: id.clone(),
                inputs: Some(inputs.clone()),
                outputs: outputs(&id, inputs),
            })
        });
        drop(c);
        self.log("read", &ctx.name, req.id.unwrap_or(""));
        Ok(found)
    }

    fn import_id_format(&self, type_token: &str) -> Option<String> {
        (type_token != LOOKUP).then(|| "the fake cloud's id".to_string())
    }

    async fn import(
        &self,
        ctx: &OpContext,
        type_token: &str,
        import_id: &str,
        inputs: &Value,
    ) -> Result<Option<ReadResult>, ProviderError> {
        // What exists under that id, whoever made it.
        let c = self.cloud.lock().unwrap();
        let found = c.resources.get(import_id).map(|(_, cloud)| ReadResult {
            id: import_id.to_string(),
            inputs: Some(cloud.clone()),
            outputs: outputs(import_id, cloud),
        });
        drop(c);
        self.log(
            "import",
            &ctx.name,
            &format!("{type_token} {import_id} {inputs}"),
        );
        Ok(found)
    }

    async fn update(
        &self,
        ctx: &OpContext,
        _type_token: &str,
        id: &str,
        _old: &Value,
        new: &Value,
        _old_outputs: &Value,
    ) -> Result<Value, ProviderError> {
        let _in_flight = self.start("update", ctx).await;
        if let Some(e) = self.should_fail(&ctx.name) {
            self.log("update-failed", &ctx.name, id);
            return Err(e);
        }
        let mut c = self.cloud.lock().unwrap();
        match c.resources.get_mut(id) {
            Some(entry) => entry.1 = new.clone(),
            None => return Err(ProviderError::permanent(format!("{id} does not exist"))),
        }
        // `move_to`: an update that gives the resource a new identity (like
        // a DNS record whose set identifier changes in place).
        let id = match new.get("move_to").and_then(Value::as_str) {
            Some(to) if to != id => {
                let entry = c.resources.remove(id).expect("present");
                c.resources.insert(to.to_string(), entry);
                to.to_string()
            }
            _ => id.to_string(),
        };
        drop(c);
        self.log("update", &ctx.name, &id);
        Ok(outputs(&id, new))
    }

    fn id_after_update(&self, _type_token: &str, id: &str, outputs: &Value) -> Option<String> {
        outputs
            .get("id")
            .and_then(Value::as_str)
            .filter(|new| *new != id)
            .map(str::to_string)
    }

    async fn delete(
        &self,
        ctx: &OpContext,
        _type_token: &str,
        id: &str,
        _inputs: &Value,
        _outputs: &Value,
    ) -> Result<(), ProviderError> {
        let _in_flight = self.start("delete", ctx).await;
        if let Some(e) = self.should_fail(&ctx.name) {
            self.log("delete-failed", &ctx.name, id);
            return Err(e);
        }
        self.cloud.lock().unwrap().resources.remove(id);
        self.log("delete", &ctx.name, id);
        Ok(())
    }
}
