//! `aws:apigateway:DomainName` and `BasePathMapping`: the domain waits for
//! its certificate, refuses a domain someone else owns, times out naming an
//! unvalidated certificate, takes a new certificate in place; the mapping's
//! lifecycle.

use super::*;
use aws_sdk_apigateway::error::SdkError;
use aws_sdk_apigateway::operation::get_domain_name::{GetDomainNameError, GetDomainNameOutput};

/// GetDomainName for `api.example.com`: the domain, or the error AWS gives.
async fn get_domain(e: &Harness) -> Result<GetDomainNameOutput, SdkError<GetDomainNameError>> {
    e.apigw()
        .get_domain_name()
        .domain_name("api.example.com")
        .send()
        .await
}

/// `api.example.com` does not exist (`when` says at which point).
async fn assert_no_domain(e: &Harness, when: &str) {
    let err = get_domain(e).await.expect_err(when);
    assert_eq!(err.code(), Some("NotFoundException"));
}

// ---------------------------------------------------------------- DomainName

#[tokio::test]
async fn domain_name_waits_for_its_certificate_and_is_read_adopted_and_deleted() {
    // Slow transitions, to see the waits: the certificate issues 1.5 s after
    // its CNAME exists, the domain is PENDING for 1 s.
    let e = Harness::slowed(REGION, json!({"acm_issue": 1.5, "apigw_domain": 1.0})).await;
    let cert = certificate(&e, "api.example.com", true).await;
    let (c, seen) = recording(e.ctx(DOMAIN, "domain"));
    let inputs = json!({"domain_name": "api.example.com", "regional_certificate_arn": cert});
    let (id, out) = e.create_checked(&c, DOMAIN, &inputs).await;
    assert_eq!(id, "api.example.com");
    let reports = seen.lock().map(|s| s.clone()).unwrap_or_default();
    assert!(
        reports
            .iter()
            .any(|r| r.starts_with(&format!("waiting for certificate {cert} to be ISSUED"))),
        "{reports:?}"
    );
    assert!(
        reports
            .iter()
            .any(|r| r.starts_with("waiting for custom domain api.example.com to be AVAILABLE")),
        "{reports:?}"
    );

    // Outputs are what a Route 53 alias needs: API Gateway's regional zone.
    assert_eq!(out["regional_hosted_zone_id"], json!("ZLY8HYME6SFDD"));
    assert!(
        out["regional_domain_name"]
            .as_str()
            .is_some_and(|d| d.ends_with(&format!(".execute-api.{REGION}.amazonaws.com")))
    );
    let d = get_domain(&e).await.expect("GetDomainName");
    assert_eq!(d.regional_certificate_arn(), Some(cert.as_str()));
    assert_eq!(d.security_policy().map(|p| p.as_str()), Some("TLS_1_2"));
    assert_eq!(d.tags().and_then(|t| t.get("meridian:urn")), Some(&c.urn));

    // Read by id and by identity; clean diff against the cloud's inputs.
    let by_id = e.assert_read_back_clean(&c, DOMAIN, &id, &inputs).await;
    assert_eq!(by_id.outputs, out);
    e.assert_not_found_by_another(&c, DOMAIN, &inputs).await;

    // A new name replaces (new first: names differ); a new certificate is
    // an update.
    let renamed = json!({"domain_name": "www.example.com", "regional_certificate_arn": cert});
    let d = e.provider.diff(DOMAIN, &inputs, &renamed);
    assert!(d.replaces() && !d.delete_before_replace);
    let recert = json!({"domain_name": "api.example.com", "regional_certificate_arn": cert.replace('-', "0")});
    let d = e.provider.diff(DOMAIN, &inputs, &recert);
    assert!(!d.changes.is_empty() && !d.replaces());

    // A create interrupted after CreateDomainName is adopted on retry (the
    // name exists, tagged with this URN).
    let retry = e.ctx_with_timeout(DOMAIN, "domain", Duration::from_secs(60));
    let (again, again_out) = e.create_checked(&retry, DOMAIN, &inputs).await;
    assert_eq!(again, id);
    assert_eq!(
        again_out["regional_domain_name"],
        out["regional_domain_name"]
    );

    // Delete, twice; then gone (drift by deletion reads as None).
    e.assert_deletes_twice(&c, DOMAIN, &id, &inputs, &out).await;
    assert_no_domain(&e, "gone").await;
}

#[tokio::test]
async fn a_domain_someone_else_owns_is_refused_naming_it() {
    let e = Harness::new(REGION).await;
    let cert = certificate(&e, "api.example.com", true).await;
    let inputs = json!({"domain_name": "api.example.com", "regional_certificate_arn": cert});
    // Made by Meridian for another resource.
    e.create_checked(&e.ctx(DOMAIN, "theirs"), DOMAIN, &inputs)
        .await;
    let err = e.create_err(&e.ctx(DOMAIN, "mine"), DOMAIN, &inputs).await;
    assert_message(&err, "api.example.com already exists");
    assert_message(&err, "::theirs");
}

#[tokio::test]
async fn a_domain_whose_certificate_never_validates_times_out_naming_the_certificate() {
    let e = Harness::new(REGION).await;
    let cert = certificate(&e, "api.example.com", false).await;
    let (c, seen) = recording(e.ctx_with_timeout(DOMAIN, "domain", Duration::from_secs(2)));
    let inputs = json!({"domain_name": "api.example.com", "regional_certificate_arn": cert});
    let err = e.create_err(&c, DOMAIN, &inputs).await;
    assert_message(
        &err,
        &format!("waiting for certificate {cert} to be ISSUED"),
    );
    let reports = seen.lock().map(|s| s.clone()).unwrap_or_default();
    assert!(!reports.is_empty(), "the wait was reported");
    // Nothing was created.
    assert_no_domain(&e, "none").await;
}

#[tokio::test]
async fn a_new_certificate_is_patched_into_the_domain_in_place() {
    let e = Harness::new(REGION).await;
    let first = certificate(&e, "api.example.com", true).await;
    let c = e.ctx(DOMAIN, "domain");
    let inputs = json!({"domain_name": "api.example.com", "regional_certificate_arn": first});
    let (id, out) = e.create_checked(&c, DOMAIN, &inputs).await;
    // A second certificate for the same name validates through the same
    // CNAME, which is already there.
    let second = certificate(&e, "api.example.com", false).await;
    let new_inputs = json!({"domain_name": "api.example.com", "regional_certificate_arn": second});
    let new_out = e.update(&c, DOMAIN, &id, &inputs, &new_inputs, &out).await;
    assert_eq!(new_out["regional_certificate_arn"], json!(second));
    assert_eq!(new_out["regional_domain_name"], out["regional_domain_name"]);
    let d = get_domain(&e).await.expect("GetDomainName");
    assert_eq!(d.regional_certificate_arn(), Some(second.as_str()));
}

// ---------------------------------------------------------------- BasePathMapping

#[tokio::test]
async fn base_path_mapping_create_read_adopt_update_replace_drift_and_delete() {
    let (e, api) = harness_with_api().await;
    let dep_in = json!({"rest_api_id": api.id});
    let (dep, _) = e
        .create_checked(&e.ctx(DEPLOYMENT, "d"), DEPLOYMENT, &dep_in)
        .await;
    for name in ["prod", "beta"] {
        let stage_in = json!({"rest_api_id": api.id, "stage_name": name, "deployment_id": dep});
        e.create_checked(&e.ctx(STAGE, name), STAGE, &stage_in)
            .await;
    }
    let cert = certificate(&e, "api.example.com", true).await;
    let domain_in = json!({"domain_name": "api.example.com", "regional_certificate_arn": cert});
    e.create_checked(&e.ctx(DOMAIN, "domain"), DOMAIN, &domain_in)
        .await;

    let c = e.ctx(MAPPING, "v1");
    let inputs = json!({"domain_name": "api.example.com", "rest_api_id": api.id, "stage": "prod", "base_path": "v1"});
    let (id, out) = e.create_checked(&c, MAPPING, &inputs).await;
    assert_eq!(id, "api.example.com/v1");
    assert_eq!(out["url"], json!("https://api.example.com/v1"));
    e.assert_read_back(&c, MAPPING, &id, &inputs, &out).await;
    e.assert_no_changes(MAPPING, &inputs, &inputs);

    // Another stage is patched in place; another base path replaces.
    let beta = json!({"domain_name": "api.example.com", "rest_api_id": api.id, "stage": "beta", "base_path": "v1"});
    let d = e.provider.diff(MAPPING, &inputs, &beta);
    assert!(!d.changes.is_empty() && !d.replaces());
    let new_out = e.update(&c, MAPPING, &id, &inputs, &beta, &out).await;
    assert_eq!(new_out["stage"], json!("beta"));
    let m = e
        .apigw()
        .get_base_path_mapping()
        .domain_name("api.example.com")
        .base_path("v1")
        .send()
        .await
        .expect("GetBasePathMapping");
    assert_eq!(m.stage(), Some("beta"));
    let mut v2 = beta.clone();
    v2["base_path"] = json!("v2");
    e.assert_replaces(MAPPING, &beta, &v2);

    // Drift: pointed back at prod behind Meridian's back.
    e.apigw()
        .update_base_path_mapping()
        .domain_name("api.example.com")
        .base_path("v1")
        .patch_operations(replace("/stage", "prod"))
        .send()
        .await
        .expect("UpdateBasePathMapping");
    let stage = e.cloud_input(&c, MAPPING, &id, &beta, "stage").await;
    assert_eq!(stage, json!("prod"));

    // Delete, twice; gone.
    e.assert_deletes_twice(&c, MAPPING, &id, &beta, &new_out)
        .await;
}
