//! ACM: DNS-validated certificates (`aws:acm:Certificate`, [`certificate`]),
//! one per region, sharing their validation records across regions
//! ([`validation`]).

pub mod certificate;
pub mod validation;

pub use certificate::Certificate;
pub use validation::ValidationRecord;

pub const CERTIFICATE: &str = "aws:acm:Certificate";

#[cfg(test)]
mod tests;
