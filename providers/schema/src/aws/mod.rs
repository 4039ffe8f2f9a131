//! The AWS resource types, one module per service: each type's token and
//! keys, and the service's enumerations.

pub mod accounts;
pub mod acm;
pub mod apigateway;
pub mod dynamodb;
pub mod iam;
pub mod lambda;
pub mod logs;
pub mod route53;

/// Every AWS type token the providers implement.
pub const TYPES: [&str; 17] = [
    acm::certificate::TYPE,
    apigateway::rest_api::TYPE,
    apigateway::resource::TYPE,
    apigateway::method::TYPE,
    apigateway::integration::TYPE,
    apigateway::deployment::TYPE,
    apigateway::stage::TYPE,
    apigateway::domain_name::TYPE,
    apigateway::base_path_mapping::TYPE,
    dynamodb::global_table::TYPE,
    iam::role::TYPE,
    lambda::function::TYPE,
    lambda::permission::TYPE,
    logs::log_group::TYPE,
    route53::hosted_zone::TYPE,
    route53::zone_lookup::TYPE,
    route53::record::TYPE,
];
