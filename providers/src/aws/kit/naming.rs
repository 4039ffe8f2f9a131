//! Generated physical names for resources whose inputs name none:
//! deterministic per URN, so an interrupted create is found again.

/// A deterministic physical name for a resource whose inputs name none: the
/// logical name (characters outside `allowed` become `-`), cut to fit, then
/// `-` and 8 hex digits of the URN's SHA-256. The same URN always gives the
/// same name, so `read` with no id finds what an interrupted create made, and
/// two stacks with the same logical name get different names.
pub fn generated_name(
    logical: &str,
    urn: &str,
    max_len: usize,
    allowed: fn(char) -> bool,
) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(urn.as_bytes());
    let suffix: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
    let base: String = logical
        .chars()
        .map(|c| if allowed(c) { c } else { '-' })
        .take(max_len.saturating_sub(suffix.len() + 1))
        .collect();
    if base.is_empty() {
        suffix
    } else {
        format!("{base}-{suffix}")
    }
}
