//! DNS names as Route 53 takes them: [`DnsName`], a fully qualified name,
//! lower case, without the trailing dot, every label checked.

/// A fully qualified DNS name (`api.example.com`): lower-cased, trailing dot
/// dropped, 253 characters at most, labels of 1 to 63 letters, digits and
/// hyphens, not starting or ending with a hyphen.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DnsName(String);

impl DnsName {
    /// Normalizes and checks `name`; the error says what is wrong.
    pub fn parse(name: &str) -> Result<DnsName, String> {
        let n = name.trim().trim_end_matches('.').to_ascii_lowercase();
        if n.is_empty() {
            return Err("must not be empty".into());
        }
        if n.len() > 253 {
            return Err(format!("{n:?} is longer than 253 characters"));
        }
        for label in n.split('.') {
            let ok = !label.is_empty()
                && label.len() <= 63
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-');
            if !ok {
                return Err(format!(
                    "{n:?} is not a valid DNS name (label {label:?}; labels are 1 to 63 letters, digits and hyphens)"
                ));
            }
        }
        if !n.contains('.') {
            return Err(format!(
                "{n:?} is not a fully qualified DNS name (expected something like \"api.example.com\")"
            ));
        }
        Ok(DnsName(n))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this name is strictly inside `zone` (`api.example.com` is in
    /// `example.com`; `example.com` is not).
    pub fn is_subdomain_of(&self, zone: &DnsName) -> bool {
        self.0
            .strip_suffix(zone.as_str())
            .is_some_and(|rest| rest.ends_with('.'))
    }
}

impl std::fmt::Display for DnsName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_normalized_and_checked() {
        assert_eq!(
            DnsName::parse("API.Example.com.").unwrap().as_str(),
            "api.example.com"
        );
        assert!(
            DnsName::parse("")
                .unwrap_err()
                .contains("must not be empty")
        );
        assert!(
            DnsName::parse("api_v1.example.com")
                .unwrap_err()
                .contains("is not a valid DNS name")
        );
        let long = format!("{}.example.com", "a".repeat(64));
        assert!(
            DnsName::parse(&long)
                .unwrap_err()
                .contains("is not a valid DNS name")
        );
        assert!(
            DnsName::parse("localhost")
                .unwrap_err()
                .contains("is not a fully qualified")
        );
        let zone = DnsName::parse("example.com").unwrap();
        assert!(
            DnsName::parse("api.example.com")
                .unwrap()
                .is_subdomain_of(&zone)
        );
        assert!(!zone.is_subdomain_of(&zone));
        assert!(
            !DnsName::parse("api.badexample.com")
                .unwrap()
                .is_subdomain_of(&zone)
        );
    }
}
