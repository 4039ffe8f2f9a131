//! Every seed type read by its import id from what the CDK made (no
//! Meridian identity tag), through the provider: found with its id, its
//! inputs as the cloud has them; and no type finds anything by another
//! type's import id.

use crate::support::cdk;
use crate::support::provider::{HOME, Harness};
use crate::support::zone;
use meridian_engine::Provider;
use serde_json::json;

/// The type of each of the global_api program's resources the CDK made.
fn type_of(name: &str) -> &'static str {
    let tail = |suffix: &str| name.ends_with(suffix);
    match name {
        "table" => "aws:dynamodb:GlobalTable",
        "api-zone" => "aws:route53:HostedZone",
        "api-zone-delegation" => "aws:route53:Record",
        _ if name.starts_with("domain-") && tail("-record") => "aws:route53:Record",
        _ if name.starts_with("certificate-") => "aws:acm:Certificate",
        _ if name.starts_with("function-") && tail("-logs") => "aws:logs:LogGroup",
        _ if name.starts_with("function-") && tail("-role") => "aws:iam:Role",
        _ if name.contains("-invoke-") => "aws:lambda:Permission",
        _ if name.starts_with("function-") => "aws:lambda:Function",
        _ if tail("-get-object-integration") => "aws:apigateway:Integration",
        _ if tail("-get-object") => "aws:apigateway:Method",
        _ if tail("-deployment") => "aws:apigateway:Deployment",
        _ if tail("-stage-prod") => "aws:apigateway:Stage",
        _ if tail("-mapping") => "aws:apigateway:BasePathMapping",
        _ if name.starts_with("domain-") => "aws:apigateway:DomainName",
        _ if name.contains('/') => "aws:apigateway:Resource",
        _ if name.starts_with("api-") => "aws:apigateway:RestApi",
        _ => panic!("no type for {name}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_seed_type_is_read_by_its_import_id_and_by_no_other_types_id() {
    let h = Harness::new(HOME).await;
    let parent = zone::parent_zone(&h.account).await;
    let ids = cdk::build(&h.account, &parent, &[HOME]).await;
    let mut types: Vec<&str> = ids.keys().map(|n| type_of(n)).collect();
    types.sort();
    types.dedup();
    assert_eq!(types.len(), 16, "every seed type is covered: {types:?}");

    for (name, id) in &ids {
        let ty = type_of(name);
        assert!(
            h.provider.import_id_format(ty).is_some(),
            "{ty} has a format"
        );
        let ctx = h.ctx(ty, name);
        let found = h.provider.import(&ctx, ty, id, &json!({})).await;
        let found = found.unwrap_or_else(|e| panic!("{name} ({ty}) by {id}: {e}"));
        let found = found.unwrap_or_else(|| panic!("{name} ({ty}) by {id}: not found"));
        assert!(
            found.inputs.as_ref().is_some_and(|i| i.is_object()),
            "{name}: the inputs as the cloud has them: {found:?}"
        );
        // Another type's id finds nothing (an integration is imported by
        // its method's id, by design).
        for (other, other_id) in &ids {
            let other_ty = type_of(other);
            let same_key = [ty, other_ty]
                .iter()
                .all(|t| ["aws:apigateway:Method", "aws:apigateway:Integration"].contains(t));
            if other_ty == ty || same_key {
                continue;
            }
            let wrong = h.provider.import(&ctx, ty, other_id, &json!({})).await;
            assert!(
                !matches!(wrong, Ok(Some(_))),
                "{ty} found something by {other_ty}'s id {other_id}: {wrong:?}"
            );
        }
    }
    assert!(
        h.provider
            .import_id_format("aws:route53:ZoneLookup")
            .is_none()
    );
}
