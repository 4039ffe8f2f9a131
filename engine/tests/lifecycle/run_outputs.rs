//! The outputs a run reads and writes: a resource's outputs are held only
//! while a dependent or a stack output still needs them
//! (`exec/outputs.rs`), so stack outputs must still see every resource
//! they name, and a failed step's outputs stay what they were.

use super::*;

fn output(resource: &str, path: &str) -> Input {
    Input::Output {
        resource: resource.into(),
        output: path.into(),
    }
}

async fn up_with_outputs(
    h: &Harness,
    decls: Vec<ResourceDecl>,
    outputs: &[(&str, Input)],
) -> RunResult {
    let outputs = outputs.iter().map(|(k, v)| (k.to_string(), v.clone()));
    h.up_exporting(decls, outputs.collect()).await
}

#[tokio::test]
async fn stack_outputs_see_leaves_roots_and_the_middle_of_the_graph() {
    let h = Harness::new();
    let named = [
        ("root", output("a", "id")),
        ("middle", output("b", "arn")),
        ("leaf", output("c", "id")),
    ];
    let result = up_with_outputs(&h, chain(), &named).await;
    assert!(result.ok(), "{result:?}");
    let state = h.state();
    let urn = |n: &str| format!("urn:meridian:test::fake:index:Res::{n}");
    assert_eq!(
        state.outputs["root"],
        state.resources[&urn("a")].outputs["id"]
    );
    assert_eq!(
        state.outputs["middle"],
        state.resources[&urn("b")].outputs["arn"]
    );
    assert_eq!(
        state.outputs["leaf"],
        state.resources[&urn("c")].outputs["id"]
    );
    assert_eq!(
        result.outputs.as_ref(),
        Some(&state.outputs),
        "the run returns what it wrote"
    );
}

#[tokio::test]
async fn a_failed_update_leaves_its_stack_output_as_it_was() {
    let h = Harness::new();
    let named = [("b_v", output("b", "v"))];
    up_with_outputs(&h, chain(), &named).await;
    let mut changed = chain();
    changed[1].inputs.insert("v".into(), Input::Value(json!(2)));
    h.fake.fail_next("b", 10);
    let result = up_with_outputs(&h, changed, &named).await;
    assert!(!result.ok(), "{result:?}");
    assert_eq!(h.state().outputs["b_v"], json!(1));
}
