//! One planned step, laid out small: a plan holds one per resource, and at
//! 100,000 resources almost all are `same` with nothing else to say. What
//! only a changed, moved, drifted or deleted step has lives in one boxed
//! [`StepDetail`], absent from the others.

use super::Name;
use crate::drift::Drift;
use crate::provider::PropertyChange;
use serde::{Serialize, Serializer};
use serde_json::Value;

/// What a step does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Create,
    Update,
    Replace,
    Delete,
    Same,
    /// A data source lookup.
    Read,
}

impl Op {
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Create => "create",
            Op::Update => "update",
            Op::Replace => "replace",
            Op::Delete => "delete",
            Op::Same => "same",
            Op::Read => "read",
        }
    }
}

/// The order of a replacement's two halves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplaceOrder {
    CreateBeforeDelete,
    DeleteBeforeCreate,
}

/// One planned step. Its strings are [`Name`]s shared with the other steps
/// (a dependency's name, a type, a region) rather than copies. The rarely
/// set parts are read through accessors ([`Step::changes`],
/// [`Step::inputs`], ...) and written through [`Step::detail_mut`].
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    pub name: Name,
    pub urn: Name,
    pub type_token: Name,
    pub region: Name,
    /// Dependencies (names) shown in a tree view.
    pub depends_on: Box<[Name]>,
    /// The component it is declared under.
    pub parent: Option<Name>,
    /// Graph node, for steps of declared resources (`u32` rather than
    /// `usize`: it keeps the step within 128 bytes).
    node: Option<u32>,
    /// `None` when every part of it would be empty (see
    /// [`StepDetail::is_empty`]), so that equal steps compare equal.
    detail: Option<Box<StepDetail>>,
    pub op: Op,
    /// For deletes: the resource is forgotten, not deleted in the cloud.
    pub retain: bool,
    /// Outside the `--target` set: left exactly as it is.
    pub pinned: bool,
}

/// The parts of a step that most steps of a large plan do not have.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StepDetail {
    pub changes: Vec<PropertyChange>,
    pub replace_order: Option<ReplaceOrder>,
    /// The inputs, for `--diff`: resolved new inputs of a declared
    /// resource (unknown values as [`crate::model::UNKNOWN`]), recorded
    /// ones of a delete.
    pub inputs: Option<serde_json::Value>,
    /// The URN of the record it takes over (an alias): the resource was
    /// renamed or moved, and its record moves with it before it is applied.
    pub moved_from: Option<Name>,
    /// What drifted on the resource since it was recorded (plans made
    /// with `--refresh`).
    pub drift: Option<Drift>,
    /// State key of the record it concerns, when that is not its URN (the
    /// old copy of an interrupted replacement).
    pub key: Option<Name>,
}

impl StepDetail {
    pub fn is_empty(&self) -> bool {
        *self == StepDetail::default()
    }
}

impl Step {
    /// A step with no dependencies, component, node or detail.
    pub fn new(name: Name, urn: Name, type_token: Name, region: Name, op: Op) -> Step {
        Step {
            name,
            urn,
            type_token,
            region,
            depends_on: Box::default(),
            parent: None,
            node: None,
            detail: None,
            op,
            retain: false,
            pinned: false,
        }
    }

    /// Graph node, for steps of declared resources.
    pub fn node(&self) -> Option<usize> {
        self.node.map(|n| n as usize)
    }

    pub fn set_node(&mut self, node: Option<usize>) {
        self.node = node.map(|n| u32::try_from(n).expect("a graph has fewer than 2^32 nodes"));
    }

    /// State key of the record it concerns.
    pub fn key(&self) -> &Name {
        self.part(|d| d.key.as_ref()).unwrap_or(&self.urn)
    }

    pub fn changes(&self) -> &[PropertyChange] {
        self.detail.as_ref().map_or(&[], |d| &d.changes)
    }

    pub fn replace_order(&self) -> Option<ReplaceOrder> {
        self.detail.as_ref().and_then(|d| d.replace_order)
    }

    /// The inputs, for `--diff` (see [`StepDetail::inputs`]).
    pub fn inputs(&self) -> Option<&Value> {
        self.part(|d| d.inputs.as_ref())
    }

    /// The URN of the record it takes over (see [`StepDetail::moved_from`]).
    pub fn moved_from(&self) -> Option<&Name> {
        self.part(|d| d.moved_from.as_ref())
    }

    /// What drifted on the resource (plans made with `--refresh`).
    pub fn drift(&self) -> Option<&Drift> {
        self.part(|d| d.drift.as_ref())
    }

    /// The detail to write to, made if the step has none yet.
    pub fn detail_mut(&mut self) -> &mut StepDetail {
        self.detail.get_or_insert_default()
    }

    /// Sets the whole detail (kept only if not empty).
    pub fn set_detail(&mut self, detail: StepDetail) {
        self.detail = (!detail.is_empty()).then(|| Box::new(detail));
    }

    /// Takes the inputs out, dropping the detail if nothing else is left.
    pub fn take_inputs(&mut self) -> Option<Value> {
        let detail = self.detail.as_mut()?;
        let inputs = detail.inputs.take();
        if detail.is_empty() {
            self.detail = None;
        }
        inputs
    }

    fn part<'a, T>(&'a self, get: impl FnOnce(&'a StepDetail) -> Option<&'a T>) -> Option<&'a T> {
        self.detail.as_deref().and_then(get)
    }
}

/// The JSON a step serializes to: its fields in the order they had when
/// they were all stored in the step itself (plans in `--json` output and
/// in saved plan files stay byte for byte the same).
#[derive(Serialize)]
struct StepJson<'a> {
    name: &'a Name,
    urn: &'a Name,
    #[serde(rename = "type")]
    type_token: &'a Name,
    region: &'a Name,
    op: Op,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    changes: &'a [PropertyChange],
    #[serde(skip_serializing_if = "Option::is_none")]
    replace_order: Option<ReplaceOrder>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    retain: bool,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    depends_on: &'a [Name],
    #[serde(skip_serializing_if = "Option::is_none")]
    parent: Option<&'a Name>,
    #[serde(skip_serializing_if = "Option::is_none")]
    moved_from: Option<&'a Name>,
    #[serde(skip_serializing_if = "Option::is_none")]
    drift: Option<&'a Drift>,
}

impl Serialize for Step {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        StepJson {
            name: &self.name,
            urn: &self.urn,
            type_token: &self.type_token,
            region: &self.region,
            op: self.op,
            changes: self.changes(),
            replace_order: self.replace_order(),
            retain: self.retain,
            depends_on: &self.depends_on,
            parent: self.parent.as_ref(),
            moved_from: self.moved_from(),
            drift: self.drift(),
        }
        .serialize(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn bare() -> Step {
        Step::new(
            "a".into(),
            "urn:a".into(),
            "t:x".into(),
            "r".into(),
            Op::Same,
        )
    }

    #[test]
    fn a_step_stays_within_128_bytes() {
        // A plan holds one step per resource: at 100,000 resources each
        // byte here is 100 KB of a preview's memory (issue 20).
        assert!(
            std::mem::size_of::<Step>() <= 128,
            "{}",
            std::mem::size_of::<Step>()
        );
    }

    #[test]
    fn a_step_without_detail_reads_as_empty_and_keys_by_its_urn() {
        let s = bare();
        assert_eq!(s.key(), "urn:a");
        assert!(s.changes().is_empty() && s.inputs().is_none() && s.moved_from().is_none());
        assert_eq!(s.replace_order(), None);
        assert_eq!(
            serde_json::to_value(&s).unwrap(),
            json!({"name": "a", "urn": "urn:a", "type": "t:x", "region": "r", "op": "same"})
        );
    }

    #[test]
    fn taking_the_last_part_drops_the_detail() {
        let mut s = bare();
        s.detail_mut().inputs = Some(json!({"v": 1}));
        assert_ne!(s, bare());
        assert_eq!(s.take_inputs(), Some(json!({"v": 1})));
        assert_eq!(s, bare(), "no empty detail is left behind");
        s.set_detail(StepDetail::default());
        assert_eq!(s, bare());
        s.detail_mut().key = Some("urn:a#old".into());
        assert_eq!(s.key(), "urn:a#old");
    }

    #[test]
    fn the_json_keeps_the_field_order_of_the_flat_step() {
        let mut s = bare();
        s.op = Op::Replace;
        s.retain = true;
        s.depends_on = vec![Name::from("b")].into();
        s.parent = Some("group".into());
        let d = s.detail_mut();
        d.replace_order = Some(ReplaceOrder::DeleteBeforeCreate);
        d.moved_from = Some("urn:old".into());
        d.drift = Some(Drift {
            properties: vec!["v".into()],
            gone: false,
        });
        d.changes = vec![PropertyChange {
            path: "v".into(),
            old: Some(json!(1)),
            new: Some(json!(2)),
            forces_replacement: true,
        }];
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            concat!(
                r#"{"name":"a","urn":"urn:a","type":"t:x","region":"r","op":"replace","#,
                r#""changes":[{"path":"v","old":1,"new":2,"forces_replacement":true}],"#,
                r#""replace_order":"delete_before_create","retain":true,"depends_on":["b"],"#,
                r#""parent":"group","moved_from":"urn:old","drift":{"properties":["v"]}}"#
            )
        );
    }
}
