//! What people see: the plan as text (list and tree, `--diff`, long values
//! as line diffs, colour), progress lines, the run summary, and the graph
//! pictures, checked against reviewed snapshots (insta; the snapshots are
//! in `engine/tests/snapshots/`).

use async_trait::async_trait;
use meridian_engine::exec::{Event, Outcome, RunResult, StepResult};
use meridian_engine::graphviz::{self, Format};
use meridian_engine::render::{self, PlanView, Style};
use meridian_engine::{
    CheckFailure, Created, Diff, Input, Op, OpContext, Plan, PropertyChange, Provider,
    ProviderError, ProviderRegistry, ReadRequest, ReadResult, ReplaceOrder, ResourceDecl,
    ResourceGraph, Step, Summary, TypeInfo, UNKNOWN,
};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The two regions of the plans drawn here.
const US: &str = "us-east-1";
const EU: &str = "eu-west-1";

fn step(name: &str, ty: &str, region: &str, op: Op) -> Step {
    let urn = format!("urn:meridian:dev::{ty}::{name}");
    Step::new(name.into(), urn.into(), ty.into(), region.into(), op)
}

fn change(path: &str, old: Value, new: Value, forces: bool) -> PropertyChange {
    PropertyChange {
        path: path.into(),
        old: Some(old),
        new: Some(new),
        forces_replacement: forces,
    }
}

fn plan_of(steps: Vec<Step>) -> Plan {
    let mut summary = Summary::default();
    for s in &steps {
        match s.op {
            Op::Create => summary.create += 1,
            Op::Update => summary.update += 1,
            Op::Replace => summary.replace += 1,
            Op::Delete => summary.delete += 1,
            Op::Same => summary.same += 1,
            Op::Read => summary.read += 1,
        }
    }
    Plan {
        steps,
        summary,
        ..Plan::default()
    }
}

/// A small stack in two regions with one step of every kind.
/// `plan` rendered without colour (what the snapshots hold).
fn plain(plan: &Plan, view: PlanView, verb: &str) -> String {
    render::plan_text(plan, Style::plain(), view, verb)
}

const DIFF: PlanView = PlanView {
    diff: true,
    tree: false,
};
const TREE: PlanView = PlanView {
    diff: false,
    tree: true,
};

fn mixed_plan() -> Plan {
    let mut zone_lookup = step("parent", "aws:route53:ZoneLookup", US, Op::Read);
    zone_lookup.detail_mut().inputs = Some(json!({"name": "example.com"}));
    let mut zone = step("zone", "aws:route53:Zone", US, Op::Same);
    zone.detail_mut().inputs = Some(json!({"name": "api.example.com"}));
    let mut table = step("table", "aws:dynamodb:GlobalTable", US, Op::Update);
    table.detail_mut().changes = vec![change(
        "replica_regions",
        json!([EU]),
        json!([EU, "sa-east-1"]),
        false,
    )];
    table.detail_mut().inputs = Some(json!({"name": "items", "billing_mode": "PAY_PER_REQUEST",
        "replica_regions": [EU, "sa-east-1"]}));
    let mut cert = step("cert-us-east-1", "aws:acm:Certificate", US, Op::Create);
    cert.detail_mut().inputs = Some(json!({"domain_name": "api.example.com", "zone_id": UNKNOWN}));
    cert.depends_on = vec!["zone".into()].into();
    let mut func = step("fn-eu-west-1", "aws:lambda:Function", EU, Op::Replace);
    func.detail_mut().replace_order = Some(ReplaceOrder::CreateBeforeDelete);
    func.detail_mut().changes = vec![
        change("runtime", json!("nodejs18.x"), json!("nodejs20.x"), true),
        change(
            "role_arn",
            json!("arn:aws:iam::123:role/old"),
            json!(UNKNOWN),
            false,
        ),
    ];
    let mut domain = step(
        "domain-eu-west-1",
        "aws:apigateway:DomainName",
        EU,
        Op::Replace,
    );
    domain.detail_mut().replace_order = Some(ReplaceOrder::DeleteBeforeCreate);
    domain.detail_mut().changes = vec![change(
        "domain_name",
        json!("eu.api.example.com"),
        json!("api.example.com"),
        true,
    )];
    let old = step("old-log-group", "aws:logs:LogGroup", EU, Op::Delete);
    let mut kept = step("archive", "aws:dynamodb:GlobalTable", EU, Op::Delete);
    kept.retain = true;
    plan_of(vec![
        zone_lookup,
        zone,
        table,
        cert,
        func,
        domain,
        old,
        kept,
    ])
}

/// One snapshot test per row: `plan` rendered plain in `view` for `verb`.
macro_rules! plan_snapshots {
    ($($name:ident: $plan:expr, $view:expr, $verb:literal;)*) => {$(
        #[test]
        fn $name() {
            let text = plain(&$plan, $view, $verb);
            insta::assert_snapshot!(text);
        }
    )*};
}

plan_snapshots! {
    plan_lists_steps_by_region_with_symbols_changes_and_a_summary: mixed_plan(), PlanView::default(), "up";
    diff_shows_every_property_and_unchanged_resources: mixed_plan(), DIFF, "preview";
    tree_nests_each_resource_under_its_latest_dependency: chain_plan(), TREE, "up";
    tree_groups_a_components_children_under_it_and_shows_moves: component_plan(), TREE, "up";
}

#[test]
fn plan_shows_unknown_values_as_computed() {
    let text = plain(&mixed_plan(), PlanView::default(), "up");
    assert!(text.contains("role_arn: \"arn:aws:iam::123:role/old\" => (computed)"));
    assert!(!text.contains(UNKNOWN));
}

#[test]
fn a_plan_without_changes_says_so() {
    let mut zone = step("zone", "aws:route53:Zone", US, Op::Same);
    zone.detail_mut().inputs = Some(json!({"name": "api.example.com"}));
    let text = plain(&plan_of(vec![zone]), PlanView::default(), "preview");
    insta::assert_snapshot!(text);
}

#[test]
fn a_changed_policy_is_shown_as_a_line_diff() {
    let old = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:PutItem"],
         "Resource": "arn:aws:dynamodb:us-east-1:123456789012:table/items"}]});
    let new = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"],
         "Resource": "arn:aws:dynamodb:us-east-1:123456789012:table/items"}]});
    let mut role = step("role", "aws:iam:Role", US, Op::Update);
    // IAM policies are JSON documents inside strings.
    role.detail_mut().changes = vec![change(
        "inline_policies.data",
        json!(old.to_string()),
        json!(new.to_string()),
        false,
    )];
    let text = plain(&plan_of(vec![role]), PlanView::default(), "up");
    insta::assert_snapshot!(text);
}

#[test]
fn a_changed_long_hash_shows_old_and_new_on_lines_of_their_own() {
    let mut func = step("fn", "aws:lambda:Function", US, Op::Update);
    func.detail_mut().changes = vec![change(
        "code",
        json!({"path": "handler.zip", "sha256": "a".repeat(64)}),
        json!({"path": "handler.zip", "sha256": "b".repeat(64)}),
        false,
    )];
    let text = plain(&plan_of(vec![func]), PlanView::default(), "up");
    insta::assert_snapshot!(text);
}

/// A region's resources in dependency order, as the planner emits them.
fn chain_plan() -> Plan {
    let mut zone = step("zone", "aws:route53:Zone", US, Op::Create);
    zone.detail_mut().inputs = Some(json!({"name": "api.example.com"}));
    let mut cert = step("cert", "aws:acm:Certificate", US, Op::Create);
    cert.depends_on = vec!["zone".into()].into();
    let mut role = step("role", "aws:iam:Role", US, Op::Create);
    role.depends_on = Box::default();
    let mut func = step("fn", "aws:lambda:Function", US, Op::Create);
    func.depends_on = vec!["role".into()].into();
    let mut domain = step("domain", "aws:apigateway:DomainName", US, Op::Create);
    domain.depends_on = vec!["cert".into()].into();
    let mut record = step("record", "aws:route53:Record", US, Op::Update);
    record.depends_on = vec!["zone".into(), "domain".into(), "fn".into()].into();
    record.detail_mut().changes = vec![change("ttl", json!(60), json!(300), false)];
    plan_of(vec![zone, cert, role, func, domain, record])
}

#[test]
fn colour_marks_each_operation() {
    let text = render::plan_text(&mixed_plan(), Style::colored(), PlanView::default(), "up");
    insta::assert_snapshot!(text);
}

#[test]
fn plain_style_writes_no_escape_codes() {
    let view = PlanView {
        diff: true,
        tree: true,
    };
    let text = plain(&mixed_plan(), view, "up");
    assert!(!text.contains('\x1b'), "{text}");
}

fn result(name: &str, ty: &str, region: &str, op: Op, outcome: Outcome, ms: u64) -> StepResult {
    StepResult {
        name: name.into(),
        type_token: ty.into(),
        region: region.into(),
        op,
        outcome,
        elapsed_ms: ms,
    }
}

/// The table created in 2m10s.
fn created_table() -> StepResult {
    let table = "aws:dynamodb:GlobalTable";
    result("table", table, US, Op::Create, Outcome::Done, 130_400)
}

fn failed_cert() -> StepResult {
    result(
        "cert-eu-west-1",
        "aws:acm:Certificate",
        EU,
        Op::Create,
        Outcome::Failed {
            error: "timed out after 45m waiting for certificate arn:aws:acm:eu-west-1:123:certificate/abc to be ISSUED (hint: ACM validates through public DNS: delegate the zone)".into(),
        },
        2_700_000,
    )
}

#[test]
fn progress_lines_name_the_resource_its_type_and_region() {
    let events = [
        Event::Started {
            name: "table".into(),
            type_token: "aws:dynamodb:GlobalTable".into(),
            region: US.into(),
            op: Op::Create,
        },
        Event::Status {
            name: "table".into(),
            message: "waiting for the eu-west-1 replica to be ACTIVE, 2m10s".into(),
        },
        Event::Finished(created_table()),
        Event::Finished(failed_cert()),
        Event::Finished(result(
            "domain-eu-west-1",
            "aws:apigateway:DomainName",
            EU,
            Op::Create,
            Outcome::Skipped {
                reason: "depends on cert-eu-west-1, which did not complete".into(),
            },
            0,
        )),
        Event::Reconciled {
            name: "zone".into(),
            detail: "the create had happened: adopted".into(),
        },
    ];
    let lines: Vec<String> = events
        .iter()
        .filter_map(|e| render::event_line(e, Style::plain()))
        .collect();
    insta::assert_snapshot!(lines.join("\n"));
}

#[test]
fn the_run_summary_counts_steps_and_lists_failures_with_hints() {
    let run = RunResult {
        steps: vec![
            created_table(),
            failed_cert(),
            result(
                "archive",
                "aws:dynamodb:GlobalTable",
                EU,
                Op::Delete,
                Outcome::Retained,
                10,
            ),
        ],
        interrupted: false,
        elapsed_ms: 2_831_000,
        outputs: None,
    };
    insta::assert_snapshot!(render::result_text(&run, Style::plain()));
}

#[test]
fn the_plan_json_has_no_colour_and_keeps_the_documented_keys() {
    let doc = render::plan_json(&mixed_plan());
    let text = serde_json::to_string(&doc).unwrap();
    assert!(!text.contains('\x1b'));
    let func = &doc["steps"][4];
    assert_eq!(func["op"], "replace");
    assert_eq!(func["replace_order"], "create_before_delete");
    assert_eq!(func["changes"][0]["forces_replacement"], true);
    assert_eq!(doc["steps"][7]["retain"], true);
    assert!(
        doc["steps"][0].get("inputs").is_none(),
        "inputs are not part of the schema"
    );
    assert_eq!(doc["summary"]["replace"], 2);
}

#[test]
fn elapsed_times_read_like_a_person_writes_them() {
    use std::time::Duration;
    assert_eq!(render::fmt_elapsed(Duration::from_millis(400)), "0.4s");
    assert_eq!(render::fmt_elapsed(Duration::from_secs(130)), "2m10s");
    assert_eq!(render::fmt_elapsed(Duration::from_secs(3780)), "1h03m");
}

// ---------------------------------------------------------------------------
// The graph

struct Inert;

#[async_trait]
impl Provider for Inert {
    fn name(&self) -> &str {
        "inert"
    }
    fn types(&self) -> Vec<TypeInfo> {
        vec![TypeInfo::resource("inert:Thing")]
    }
    fn check(&self, _: &str, _: &str, _: &Value) -> Vec<CheckFailure> {
        Vec::new()
    }
    fn diff(&self, _: &str, old: &Value, new: &Value) -> Diff {
        Diff::top_level(old, new, &[])
    }
    async fn create(&self, _: &OpContext, _: &str, _: &Value) -> Result<Created, ProviderError> {
        Err(ProviderError::permanent("not in this test"))
    }
    async fn read(
        &self,
        _: &OpContext,
        _: ReadRequest<'_>,
    ) -> Result<Option<ReadResult>, ProviderError> {
        Ok(None)
    }
    async fn update(
        &self,
        _: &OpContext,
        _: &str,
        _: &str,
        _: &Value,
        _: &Value,
        _: &Value,
    ) -> Result<Value, ProviderError> {
        Err(ProviderError::permanent("not in this test"))
    }
    async fn delete(
        &self,
        _: &OpContext,
        _: &str,
        _: &str,
        _: &Value,
        _: &Value,
    ) -> Result<(), ProviderError> {
        Ok(())
    }
}

fn decl(name: &str, region: &str, refs: &[&str]) -> ResourceDecl {
    let mut inputs = BTreeMap::new();
    for r in refs {
        inputs.insert(
            format!("from_{r}"),
            Input::Output {
                resource: (*r).into(),
                output: "id".into(),
            },
        );
    }
    ResourceDecl {
        type_token: "inert:Thing".into(),
        name: name.into(),
        region: region.into(),
        inputs: inputs.into(),
        options: Default::default(),
    }
}

fn two_region_graph() -> (ResourceGraph, Plan) {
    let providers = ProviderRegistry::new().with(Arc::new(Inert));
    let graph = ResourceGraph::build(
        "dev",
        vec![
            decl("zone", US, &[]),
            decl("api-us", US, &["zone"]),
            decl("api-eu", EU, &["zone"]),
        ],
        BTreeMap::new(),
        &providers,
    )
    .unwrap();
    let mut zone = step("zone", "inert:Thing", US, Op::Same);
    zone.set_node(Some(0));
    let mut us = step("api-us", "inert:Thing", US, Op::Update);
    us.set_node(Some(1));
    let mut eu = step("api-eu", "inert:Thing", EU, Op::Create);
    eu.set_node(Some(2));
    let gone = step("old", "inert:Thing", EU, Op::Delete);
    (graph, plan_of(vec![zone, us, eu, gone]))
}

#[test]
fn dot_draws_regions_as_clusters_and_planned_operations_as_colours() {
    let (graph, plan) = two_region_graph();
    insta::assert_snapshot!(graphviz::render(&graph, Some(&plan), Format::Dot));
}

#[test]
fn mermaid_draws_regions_as_subgraphs_and_operations_as_classes() {
    let (graph, plan) = two_region_graph();
    insta::assert_snapshot!(graphviz::render(&graph, Some(&plan), Format::Mermaid));
}

#[test]
fn graph_json_lists_resources_with_dependencies_and_operations() {
    let (graph, plan) = two_region_graph();
    let doc = graphviz::graph_json(&graph, Some(&plan));
    assert_eq!(
        doc["resources"][2],
        json!({"name": "api-eu", "type": "inert:Thing", "region": EU,
               "depends_on": ["zone"], "op": "create"})
    );
    assert_eq!(doc["resources"][3]["op"], "delete");
    assert_eq!(doc["summary"]["create"], 1);
}

/// [`chain_plan`] with the function and its role in a component, and the
/// role moved there from the top of the stack.
fn component_plan() -> Plan {
    let mut plan = chain_plan();
    for s in &mut plan.steps {
        if s.name == "role" || s.name == "fn" {
            s.parent = Some("handler".into());
        }
        if s.name == "role" {
            s.op = Op::Same;
            s.detail_mut().moved_from = Some("urn:meridian:dev::aws:iam:Role::old-role".into());
        }
    }
    plan.summary.create -= 1;
    plan.summary.same += 1;
    plan.summary.moved = 1;
    plan
}

#[test]
fn the_plan_json_names_each_steps_parent_and_what_it_moved_from() {
    let doc = render::plan_json(&component_plan());
    let role = &doc["steps"][2];
    assert_eq!(role["name"], "role");
    assert_eq!(role["parent"], "handler");
    assert_eq!(
        role["moved_from"],
        "urn:meridian:dev::aws:iam:Role::old-role"
    );
    assert!(doc["steps"][0].get("parent").is_none());
    assert_eq!(doc["summary"]["moved"], 1);
}

#[test]
fn pictures_draw_a_cluster_per_component() {
    let (mut graph, plan) = two_region_graph();
    graph.nodes[1].decl.options.parent = Some(meridian_engine::ParentRef {
        name: "api".into(),
        type_token: "test:Api".into(),
        ancestors: Vec::new(),
    });
    let dot = graphviz::render(&graph, Some(&plan), Format::Dot);
    assert!(
        dot.contains("  subgraph \"cluster_us-east-1\" {")
            && dot.contains("    subgraph \"cluster_us-east-1_api\" {\n      label=\"api\";")
            && dot.contains("      n1 [label=\"~ api-us"),
        "{dot}"
    );
    let mermaid = graphviz::render(&graph, Some(&plan), Format::Mermaid);
    assert!(
        mermaid.contains("    subgraph us_east_1__api[\"api\"]\n      n1["),
        "{mermaid}"
    );
    let doc = graphviz::graph_json(&graph, Some(&plan));
    assert_eq!(doc["resources"][1]["parent"], "api");
}

#[test]
fn drifted_properties_are_marked_in_the_list_the_tree_and_the_json() {
    let mut logs = step("logs", "aws:logs:LogGroup", US, Op::Update);
    logs.detail_mut().changes = vec![change("retention_in_days", json!(7), json!(14), false)];
    logs.detail_mut().drift = Some(meridian_engine::drift::Drift {
        properties: vec!["retention_in_days".into()],
        gone: false,
    });
    let mut fun = step("fn", "aws:lambda:Function", US, Op::Create);
    fun.detail_mut().drift = Some(meridian_engine::drift::Drift {
        properties: Vec::new(),
        gone: true,
    });
    // Drifted to what the program says: nothing to do, but still shown.
    let mut role = step("role", "aws:iam:Role", US, Op::Same);
    role.detail_mut().drift = Some(meridian_engine::drift::Drift {
        properties: vec!["description".into()],
        gone: false,
    });
    let plan = plan_of(vec![logs, fun, role]);
    for view in [PlanView::default(), TREE] {
        let text = plain(&plan, view, "preview");
        assert!(
            text.contains("logs (aws:logs:LogGroup) [drifted: retention_in_days]"),
            "{text}"
        );
        assert!(
            text.contains("~ retention_in_days: 7 => 14 (drifted)"),
            "{text}"
        );
        assert!(text.contains("[drifted: gone from the cloud]"), "{text}");
        assert!(
            text.contains("role (aws:iam:Role) [drifted: description]"),
            "{text}"
        );
    }
    let doc = render::plan_json(&plan);
    assert_eq!(
        doc["steps"][0]["drift"],
        json!({"properties": ["retention_in_days"]})
    );
    assert_eq!(doc["steps"][1]["drift"], json!({"gone": true}));
    assert!(doc["steps"][2].get("changes").is_none());
}
