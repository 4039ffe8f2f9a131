//! IAM policy documents: the checks a trust or identity policy must pass
//! before any call, and the decoding of documents as IAM returns them.

use super::is_role_name_char;
use meridian_engine::{CheckFailure, ProviderError, UNKNOWN};
use serde_json::Value;

/// Validates an IAM policy document. A trust policy (`trust`) names
/// principals and no resources; an identity policy names resources and no
/// principals. Unknown values (planning) are accepted wherever they appear.
pub fn check_policy_document(
    doc: &Value,
    property: &str,
    trust: bool,
    out: &mut Vec<CheckFailure>,
) {
    let obj = match doc {
        Value::String(s) if s == UNKNOWN => return,
        Value::Object(o) => o,
        _ => {
            out.push(CheckFailure::new(
                property,
                "must be a policy document object with \"Version\" and \"Statement\"",
            ));
            return;
        }
    };
    for k in obj.keys() {
        if !["Version", "Statement", "Id"].contains(&k.as_str()) {
            out.push(CheckFailure::new(
                property,
                format!("unexpected key {k:?} (a policy has Version, Statement and optionally Id)"),
            ));
        }
    }
    match obj.get("Version") {
        Some(Value::String(v)) if v == "2012-10-17" || v == "2008-10-17" || v == UNKNOWN => {}
        Some(v) => out.push(CheckFailure::new(
            &format!("{property}.Version"),
            format!("must be \"2012-10-17\" (or the legacy \"2008-10-17\"), got {v}"),
        )),
        None => out.push(CheckFailure::new(
            &format!("{property}.Version"),
            "is required; use \"2012-10-17\"",
        )),
    }
    let statements: Vec<&Value> = match obj.get("Statement") {
        Some(Value::Array(a)) if !a.is_empty() => a.iter().collect(),
        Some(Value::Array(_)) => {
            out.push(CheckFailure::new(
                &format!("{property}.Statement"),
                "must have at least one statement",
            ));
            return;
        }
        Some(s @ Value::Object(_)) => vec![s],
        Some(Value::String(s)) if s == UNKNOWN => return,
        Some(_) => {
            out.push(CheckFailure::new(
                &format!("{property}.Statement"),
                "must be a statement object or a list of them",
            ));
            return;
        }
        None => {
            out.push(CheckFailure::new(
                &format!("{property}.Statement"),
                "is required",
            ));
            return;
        }
    };
    for (i, st) in statements.iter().enumerate() {
        let path = format!("{property}.Statement.{i}");
        check_statement(st, &path, trust, out);
    }
}

fn check_statement(st: &Value, path: &str, trust: bool, out: &mut Vec<CheckFailure>) {
    let Some(st) = st.as_object() else {
        if st.as_str() != Some(UNKNOWN) {
            out.push(CheckFailure::new(path, "must be an object"));
        }
        return;
    };
    match st.get("Effect").and_then(Value::as_str) {
        Some("Allow") | Some("Deny") => {}
        Some(s) if s == UNKNOWN => {}
        _ => out.push(CheckFailure::new(
            &format!("{path}.Effect"),
            "must be \"Allow\" or \"Deny\"",
        )),
    }
    if let Some(sid) = st.get("Sid").and_then(Value::as_str)
        && sid != UNKNOWN
        && !sid.chars().all(|c| c.is_ascii_alphanumeric())
    {
        out.push(CheckFailure::new(
            &format!("{path}.Sid"),
            "IAM allows only letters and digits in a Sid",
        ));
    }
    let exactly_one = |a: &str, b: &str, out: &mut Vec<CheckFailure>| match (
        st.contains_key(a),
        st.contains_key(b),
    ) {
        (true, false) | (false, true) => true,
        (true, true) => {
            out.push(CheckFailure::new(
                path,
                format!("has both {a} and {b}; use one"),
            ));
            false
        }
        (false, false) => {
            out.push(CheckFailure::new(path, format!("needs {a} (or {b})")));
            false
        }
    };
    if exactly_one("Action", "NotAction", out) {
        let actions = st.get("Action").or_else(|| st.get("NotAction"));
        for a in string_or_list(actions) {
            let ok = a == "*"
                || a == UNKNOWN
                || a.split_once(':').is_some_and(|(svc, act)| {
                    !svc.is_empty()
                        && svc.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                        && !act.is_empty()
                });
            if !ok {
                out.push(CheckFailure::new(
                    &format!("{path}.Action"),
                    format!("{a:?} is not an action (expected \"service:Action\", e.g. \"dynamodb:GetItem\")"),
                ));
            }
        }
    }
    if trust {
        exactly_one("Principal", "NotPrincipal", out);
        for k in ["Resource", "NotResource"] {
            if st.contains_key(k) {
                out.push(CheckFailure::new(
                    path,
                    format!("a trust policy may not have {k}"),
                ));
            }
        }
    } else {
        exactly_one("Resource", "NotResource", out);
        for k in ["Principal", "NotPrincipal"] {
            if st.contains_key(k) {
                out.push(CheckFailure::new(
                    path,
                    format!(
                        "an identity policy may not have {k} (only trust and resource policies do)"
                    ),
                ));
            }
        }
    }
}

fn string_or_list(v: Option<&Value>) -> Vec<&str> {
    match v {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// Whether `arn` has the shape of a managed policy ARN
/// (`arn:<partition>:iam::<account or "aws">:policy/<path/name>`).
pub fn is_managed_policy_arn(arn: &str) -> bool {
    let Some(rest) = arn.strip_prefix("arn:") else {
        return false;
    };
    let parts: Vec<&str> = rest.splitn(5, ':').collect();
    let [partition, service, region, account, resource] = parts.as_slice() else {
        return false;
    };
    let partition_ok = ["aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b"].contains(partition);
    let account_ok =
        *account == "aws" || (account.len() == 12 && account.chars().all(|c| c.is_ascii_digit()));
    let name_ok = resource.strip_prefix("policy/").is_some_and(|p| {
        !p.is_empty() && !p.ends_with('/') && p.chars().all(|c| is_role_name_char(c) || c == '/')
    });
    partition_ok && *service == "iam" && region.is_empty() && account_ok && name_ok
}

/// Decodes a policy document as IAM returns it: URL-encoded JSON (RFC 3986)
/// from GetRole and GetRolePolicy, or plain JSON from some emulators.
pub fn decode_policy_document(raw: &str) -> Result<Value, ProviderError> {
    if let Ok(v) = serde_json::from_str::<Value>(raw) {
        return Ok(v);
    }
    let decoded = percent_decode(raw);
    serde_json::from_str(&decoded).map_err(|e| {
        ProviderError::permanent(format!(
            "IAM returned a policy document that is not JSON ({e}): {raw}"
        ))
    })
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex_val(bytes[i + 1]), hex_val(bytes[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn url_encoded_documents_are_decoded() {
        let trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]});
        let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22Service%22%3A%22lambda.amazonaws.com%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D";
        assert_eq!(decode_policy_document(encoded).expect("decodes"), trust);
        let plain = trust.to_string();
        assert_eq!(decode_policy_document(&plain).expect("parses"), trust);
        assert!(decode_policy_document("%7Bnot json").is_err());
    }
}
