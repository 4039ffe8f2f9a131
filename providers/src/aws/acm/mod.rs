//! ACM: DNS-validated certificates (`aws:acm:Certificate`, [`certificate`]),
//! one per region, sharing their validation records across regions
//! ([`validation`]).

pub mod certificate;
pub mod validation;

pub use certificate::Certificate;
pub use validation::ValidationRecord;

pub use meridian_schema::aws::acm::certificate::TYPE as CERTIFICATE;

#[cfg(test)]
mod tests;
