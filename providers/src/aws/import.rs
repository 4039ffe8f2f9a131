//! Import ids, for every AWS type in one place (the table docs/import.md
//! shows): how each is spelled, and the read it stands for. An import id is
//! the physical id the state records, except for what lives under a REST
//! API (`API_ID/ID`: the API's id goes among the read's inputs). The read
//! is then the type's own read by recorded id, which never asks for the
//! identity tag: what Meridian did not make is read all the same.

use meridian_engine::ProviderError;
use meridian_schema::aws::{acm, apigateway, dynamodb, iam, lambda, logs, route53};
use serde_json::Value;

/// How the import id of `type_token` is spelled; `None`: it cannot be
/// imported (a data source, an unknown type).
pub fn format(type_token: &str) -> Option<&'static str> {
    use apigateway::*;
    Some(match type_token {
        t if t == dynamodb::global_table::TYPE => {
            "the table's name, in the resource's (primary) region"
        }
        t if t == route53::hosted_zone::TYPE => {
            "the zone's id (`Z0123456789ABC`, `/hostedzone/` before it allowed)"
        }
        t if t == route53::record::TYPE => {
            "`ZONE_ID|NAME|TYPE`, or `ZONE_ID|NAME|TYPE|SET_IDENTIFIER` for a routed record"
        }
        t if t == acm::certificate::TYPE => {
            "the certificate's ARN (`arn:aws:acm:REGION:ACCOUNT:certificate/ID`), in the resource's region"
        }
        t if t == iam::role::TYPE => "the role's name (or its ARN)",
        t if t == logs::log_group::TYPE => "the log group's name",
        t if t == lambda::function::TYPE => "the function's name",
        t if t == lambda::permission::TYPE => "`FUNCTION_NAME/STATEMENT_ID`",
        t if t == rest_api::TYPE => "the REST API's id (`a1b2c3d4e5`)",
        t if t == resource::TYPE => "`API_ID/RESOURCE_ID`",
        t if t == method::TYPE => "`API_ID/RESOURCE_ID/HTTP_METHOD`",
        t if t == integration::TYPE => "`API_ID/RESOURCE_ID/HTTP_METHOD` (its method's)",
        t if t == deployment::TYPE => "`API_ID/DEPLOYMENT_ID`",
        t if t == stage::TYPE => "`API_ID/STAGE_NAME`",
        t if t == domain_name::TYPE => "the domain name (`api.example.com`)",
        t if t == base_path_mapping::TYPE => {
            "`DOMAIN/BASE_PATH`, `DOMAIN/(none)` for the domain's root"
        }
        _ => return None,
    })
}

/// The read `import_id` stands for: the recorded id, and the inputs the
/// read is given (the program's, with the API's id for what lives under a
/// REST API). Ids that cannot be of this type are refused before any call.
pub fn recorded(
    type_token: &str,
    import_id: &str,
    region: &str,
    inputs: &Value,
) -> Result<(String, Value), ProviderError> {
    let Some(format) = format(type_token) else {
        return Err(ProviderError::permanent(format!(
            "{type_token} cannot be imported"
        )));
    };
    let not_of_type = |why: &str| {
        ProviderError::permanent(format!(
            "{import_id:?} is not {why} (the import id of {type_token} is {format})"
        ))
    };
    let id = import_id.trim();
    let same = |id: &str| Ok((id.to_string(), inputs.clone()));
    match type_token {
        t if t == route53::hosted_zone::TYPE => {
            let bare = id.trim_start_matches("/hostedzone/");
            let zone_like = !bare.is_empty()
                && bare
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
            match zone_like {
                true => same(bare),
                false => Err(not_of_type("a hosted zone id")),
            }
        }
        t if t == acm::certificate::TYPE => {
            let parts: Vec<&str> = id.splitn(6, ':').collect();
            match parts.as_slice() {
                ["arn", _, "acm", r, _, cert] if cert.starts_with("certificate/") => {
                    if *r != region {
                        return Err(ProviderError::permanent(format!(
                            "certificate {id} is in {r}, but the program declares it in {region}: declare it in {r}, or import {region}'s certificate"
                        )));
                    }
                    same(id)
                }
                _ => Err(not_of_type("an ACM certificate ARN")),
            }
        }
        t if t == iam::role::TYPE => {
            // A role's ARN ends with its path and name: the name is the id.
            let name = match id.split_once(":role/") {
                Some((arn, path)) if arn.starts_with("arn:") => path.rsplit('/').next(),
                _ => Some(id),
            };
            match name.filter(|n| !n.is_empty() && !n.contains([':', '/'])) {
                Some(n) => same(n),
                None => Err(not_of_type("a role name or role ARN")),
            }
        }
        t if t == apigateway::resource::TYPE || t == apigateway::deployment::TYPE => {
            let Some((api, child)) = id
                .split_once('/')
                .filter(|(a, c)| !a.is_empty() && !c.is_empty() && !c.contains('/'))
            else {
                return Err(not_of_type("of the form API_ID/ID"));
            };
            let mut with_api = inputs.as_object().cloned().unwrap_or_default();
            // Both types name the API by the same input key.
            with_api.insert(
                apigateway::resource::input::REST_API_ID.into(),
                Value::String(api.to_string()),
            );
            Ok((child.to_string(), Value::Object(with_api)))
        }
        _ => same(id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_resource_type_has_an_import_format_and_data_sources_none() {
        for t in meridian_schema::aws::TYPES {
            let data_source = t == route53::zone_lookup::TYPE;
            assert_eq!(format(t).is_none(), data_source, "{t}");
        }
        assert_eq!(
            apigateway::resource::input::REST_API_ID,
            apigateway::deployment::input::REST_API_ID
        );
    }

    #[test]
    fn ids_that_cannot_be_of_the_type_are_refused_before_any_call() {
        let none = json!({});
        let id_of = |t: &str, id: &str| recorded(t, id, "us-east-1", &none).map(|(id, _)| id);
        let refusal = |t: &str, id: &str| id_of(t, id).unwrap_err().message;
        assert_eq!(
            id_of(route53::hosted_zone::TYPE, "/hostedzone/Z12AB"),
            Ok("Z12AB".into())
        );
        assert!(
            refusal(route53::hosted_zone::TYPE, "api.example.com").contains("not a hosted zone id")
        );
        let arn = "arn:aws:acm:eu-west-1:123456789012:certificate/abc";
        assert!(
            refusal(acm::certificate::TYPE, arn)
                .contains("is in eu-west-1, but the program declares it in us-east-1")
        );
        assert_eq!(
            id_of(iam::role::TYPE, "arn:aws:iam::1:role/svc/r"),
            Ok("r".into())
        );
        let (id, inputs) =
            recorded(apigateway::resource::TYPE, "api1/res1", "us-east-1", &none).unwrap();
        assert_eq!(
            (id.as_str(), &inputs["rest_api_id"]),
            ("res1", &json!("api1"))
        );
        assert!(refusal(apigateway::deployment::TYPE, "dep1").contains("API_ID/ID"));
        assert!(refusal(route53::zone_lookup::TYPE, "Z1").contains("cannot be imported"));
    }
}
