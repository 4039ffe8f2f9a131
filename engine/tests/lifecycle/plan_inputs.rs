//! A plan made for a view that shows no inputs (the CLI without `--diff`)
//! keeps no step's resolved inputs, and is otherwise the same plan.

use super::*;

fn planning(without_inputs: bool) -> ops::Planning<'static> {
    ops::Planning {
        without_inputs,
        ..Default::default()
    }
}

#[tokio::test]
async fn a_plan_without_inputs_differs_from_the_shown_one_only_by_them() {
    let h = Harness::deployed(chain()).await;
    let mut changed = chain();
    changed[1].inputs.insert("v".into(), Input::Value(json!(2)));
    changed.push(res("d", json!({"v": 1})));
    let graph = h.graph(changed).unwrap();
    let state = h.state();
    let events: meridian_engine::exec::EventSink = Arc::new(|_| {});
    let (shown, bare) = (planning(false), planning(true));
    let (shown, _) = ops::plan_with(&graph, &h.providers, &state, &shown, &events)
        .await
        .unwrap();
    let (bare, _) = ops::plan_with(&graph, &h.providers, &state, &bare, &events)
        .await
        .unwrap();
    assert_eq!(ops_of(&shown)["b"], Op::Update);
    assert_eq!(ops_of(&shown)["d"], Op::Create);
    assert!(
        shown
            .steps
            .iter()
            .filter(|s| s.op != Op::Same)
            .all(|s| s.inputs().is_some()),
        "{shown:?}"
    );
    assert!(bare.steps.iter().all(|s| s.inputs().is_none()), "{bare:?}");
    let mut stripped = shown.clone();
    stripped
        .steps
        .iter_mut()
        .for_each(|s| drop(s.take_inputs()));
    assert_eq!(stripped, bare);
}
