//! The fault proxy's unit tests: request classification, error shapes per
//! protocol, HTTP framing, and per-account delays.

use super::*;

fn info(method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> RequestInfo {
    classify(
        method.into(),
        path.into(),
        headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        body.as_bytes().to_vec(),
    )
}

fn auth(service: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential=111122223333/20240101/eu-west-1/{service}/aws4_request, SignedHeaders=host, Signature=00"
    )
}

/// A signed request of `service` (with an `X-Amz-Target` when given).
fn signed(service: &str, method: &str, path: &str, target: &str, body: &str) -> RequestInfo {
    let a = auth(service);
    let mut headers = vec![("Authorization", a.as_str())];
    if !target.is_empty() {
        headers.push(("X-Amz-Target", target));
    }
    info(method, path, &headers, body)
}

#[test]
fn operations_are_classified_per_protocol() {
    let describe = "DynamoDB_20120810.DescribeTable";
    let r = signed("dynamodb", "POST", "/", describe, "{}");
    assert_eq!(
        (r.service.as_str(), r.region.as_str()),
        ("dynamodb", "eu-west-1")
    );
    assert_eq!(r.operation, "DescribeTable");
    let create_role = signed("iam", "POST", "/", "", "Action=CreateRole&RoleName=x");
    assert_eq!(create_role.label(), "iam:CreateRole");
    let zones = "/2013-04-01/hostedzone";
    let list = signed("route53", "GET", &format!("{zones}?maxitems=1"), "", "");
    assert_eq!(list.operation, "GET /2013-04-01/hostedzone");
    for (r, mutating) in [
        (r, false),
        (
            signed(
                "dynamodb",
                "POST",
                "/",
                "DynamoDB_20120810.CreateTable",
                "{}",
            ),
            true,
        ),
        (create_role, true),
        (
            signed("iam", "POST", "/", "", "Action=GetRole&RoleName=x"),
            false,
        ),
        (list, false),
        (signed("route53", "POST", zones, "", "<x/>"), true),
    ] {
        assert_eq!(r.mutating, mutating, "{}", r.label());
    }
}

#[test]
fn throttling_has_the_protocol_shape() {
    let a = auth("iam");
    let r = info("POST", "/", &[("Authorization", &a)], "Action=CreateRole");
    let text = String::from_utf8(error_response(&r, 400, "Throttling", "slow")).unwrap();
    assert!(text.starts_with("HTTP/1.1 400"), "{text}");
    assert!(text.contains("<Code>Throttling</Code>"), "{text}");
    let a = auth("acm");
    let r = info(
        "POST",
        "/",
        &[
            ("Authorization", &a),
            ("X-Amz-Target", "CertificateManager.RequestCertificate"),
            ("Content-Type", "application/x-amz-json-1.1"),
        ],
        "{}",
    );
    let text = String::from_utf8(error_response(&r, 400, "ThrottlingException", "slow")).unwrap();
    assert!(text.contains(r#""__type":"ThrottlingException""#), "{text}");
    assert!(text.contains("application/x-amz-json-1.1"), "{text}");
}

#[tokio::test]
async fn chunked_bodies_are_decoded() {
    let raw = b"4\r\nWiki\r\n5;x=y\r\npedia\r\n0\r\n\r\nNEXT".to_vec();
    let mut stream: &[u8] = &raw;
    let mut buf = Vec::new();
    let headers = vec![("Transfer-Encoding".to_string(), "chunked".to_string())];
    let body = read_body(&mut stream, &mut buf, &headers).await.unwrap();
    assert_eq!(body, b"Wikipedia");
    assert_eq!(buf, b"NEXT");
}
