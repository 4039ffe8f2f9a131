//! The schema's values are what AWS accepts: each enumeration is checked
//! against the names the AWS SDK knows, or against AWS's documented list
//! where the SDK has none.

use meridian_schema::Region;
use meridian_schema::aws::{self, apigateway, dynamodb, lambda, logs, route53};
use std::collections::BTreeSet;

/// Every name of `names` is one the SDK enum (whose known values are
/// `known`) has, and none repeats.
fn all_known(what: &str, names: &[&str], known: &[&str]) {
    let unknown: Vec<&&str> = names.iter().filter(|n| !known.contains(n)).collect();
    assert!(unknown.is_empty(), "{what}: AWS does not know {unknown:?}");
    let distinct: BTreeSet<&&str> = names.iter().collect();
    assert_eq!(
        distinct.len(),
        names.len(),
        "{what}: {names:?} repeats a name"
    );
}

/// `all_known` against the values of the SDK enum `$sdk`.
macro_rules! known_to_sdk {
    ($names:expr, $sdk:ty) => {
        all_known(stringify!($sdk), $names, <$sdk>::values())
    };
}

#[test]
fn retention_periods_are_the_22_cloudwatch_logs_accepts() {
    // PutRetentionPolicy's documented values.
    let aws = [
        1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
        2922, 3288, 3653,
    ];
    assert_eq!(logs::RetentionDays::DAYS, aws);
    let days: Vec<i64> = logs::RetentionDays::ALL.iter().map(|r| r.days()).collect();
    assert_eq!(days, aws);
    for &r in logs::RetentionDays::ALL {
        assert_eq!(logs::RetentionDays::from_days(r.days()), Some(r));
    }
    assert_eq!(logs::RetentionDays::from_days(91), None);
    assert_eq!(logs::RetentionDays::ThreeMonths.days(), 90);
}

#[test]
fn lambda_runtimes_and_architectures_are_ones_lambda_knows() {
    use aws_sdk_lambda::types as sdk;
    use lambda::{Architecture, Runtime};
    known_to_sdk!(Runtime::NAMES, sdk::Runtime);
    known_to_sdk!(Architecture::NAMES, sdk::Architecture);
    assert_eq!(Runtime::NAMES.len(), 22);
    assert_eq!(Architecture::default().as_str(), "arm64");
    assert_eq!(Runtime::from_name("nodejs20.x"), Some(Runtime::Nodejs20x));
    assert_eq!(Runtime::from_name("nodejs4.3"), None);
}

#[test]
fn record_types_are_route53_types_except_soa() {
    use route53::RecordType;
    known_to_sdk!(RecordType::NAMES, aws_sdk_route53::types::RrType);
    assert!(!RecordType::NAMES.contains(&"SOA"));
}

#[test]
fn api_gateway_names_are_ones_api_gateway_knows() {
    use apigateway::{
        AuthorizationType, EndpointType, HttpMethod, IntegrationType, SecurityPolicy,
    };
    use aws_sdk_apigateway::types as sdk;
    known_to_sdk!(EndpointType::NAMES, sdk::EndpointType);
    known_to_sdk!(IntegrationType::NAMES, sdk::IntegrationType);
    known_to_sdk!(SecurityPolicy::NAMES, sdk::SecurityPolicy);
    // No SDK enum for these: API Gateway's documented values.
    let methods = [
        "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY",
    ];
    all_known("HTTP methods", HttpMethod::NAMES, &methods);
    let authorizations = ["NONE", "AWS_IAM", "CUSTOM", "COGNITO_USER_POOLS"];
    all_known("authorizations", AuthorizationType::NAMES, &authorizations);
}

#[test]
fn dynamodb_names_are_ones_dynamodb_knows() {
    use aws_sdk_dynamodb::types as sdk;
    use dynamodb::{AttributeType, BillingMode};
    known_to_sdk!(AttributeType::NAMES, sdk::ScalarAttributeType);
    known_to_sdk!(BillingMode::NAMES, sdk::BillingMode);
}

#[test]
fn regions_are_distinct_well_formed_and_latency_routable() {
    assert_eq!(Region::ALL.len(), Region::NAMES.len());
    for (region, name) in Region::ALL.iter().zip(Region::NAMES) {
        assert_eq!(region.as_str(), *name);
        assert_eq!(Region::parse(name).as_ref(), Ok(region));
        assert!(region.is_known());
    }
    // Route 53 can route by latency to every region Meridian accepts.
    known_to_sdk!(
        Region::NAMES,
        aws_sdk_route53::types::ResourceRecordSetRegion
    );
    for commercial in ["us-east-1", "eu-west-1", "sa-east-1", "ap-southeast-2"] {
        assert!(Region::NAMES.contains(&commercial), "{commercial}");
    }
    assert!(!Region::parse("eu-west-9").expect("well formed").is_known());
    assert!(Region::parse("EU-west-1").is_err());
}

#[test]
fn type_tokens_are_distinct_and_name_their_service() {
    let distinct: BTreeSet<&str> = aws::TYPES.iter().copied().collect();
    assert_eq!(distinct.len(), 17);
    for token in aws::TYPES {
        let parts: Vec<&str> = token.split(':').collect();
        assert_eq!(parts.len(), 3, "{token}");
        assert_eq!(parts[0], "aws", "{token}");
        assert!(
            [
                "acm",
                "apigateway",
                "dynamodb",
                "iam",
                "lambda",
                "logs",
                "route53"
            ]
            .contains(&parts[1]),
            "{token}"
        );
        assert!(
            parts[2].starts_with(|c: char| c.is_ascii_uppercase()),
            "{token}"
        );
    }
    assert_eq!(meridian_schema::null::resource::TYPE, "null:index:Resource");
}
