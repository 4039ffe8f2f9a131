//! Route 53: hosted zones (`aws:route53:HostedZone`, [`zone`]), the zone
//! lookup data source (`aws:route53:ZoneLookup`, [`zone_lookup`]) and record
//! sets (`aws:route53:Record`, [`record`]), over the name rules ([`names`])
//! and the change-batch library ([`change_batch`]) that the ACM certificate
//! uses too. DNS names in outputs are lowercase without the trailing dot;
//! zone ids are bare (no `/hostedzone/` prefix).

pub mod change_batch;
pub mod names;
pub mod record;
pub mod record_spec;
pub mod zone;
pub mod zone_lookup;

pub use change_batch::{
    BatchOutcome, StillRejected, all_record_sets, apply_batches, change, describe_records,
    find_record_set, partition_zone_records, refs_record_name, simple_record_set, submit_batch,
    txt_values, wait_insync,
};
pub use names::{bare_zone_id, check_dns_name, dns_name, in_zone};
pub use record::Record;
pub use record_spec::{AliasSpec, RecordKey, RecordSpec, check_record, check_record_in_zone};
pub use zone::{HostedZone, zone_name_of};
pub use zone_lookup::ZoneLookup;

pub use meridian_schema::aws::route53::hosted_zone::TYPE as HOSTED_ZONE;
pub use meridian_schema::aws::route53::record::TYPE as RECORD;
pub use meridian_schema::aws::route53::zone_lookup::TYPE as ZONE_LOOKUP;

/// First label of the TXT record that lists which certificates use a shared
/// ACM validation CNAME: `_meridian-refs.<cname name>`.
pub const REFS_LABEL: &str = "_meridian-refs";
/// A value in a reference TXT saying the CNAME existed before Meridian used
/// it, so Meridian never deletes that CNAME.
pub const PREEXISTING_REF: &str = "meridian:preexisting";

#[cfg(test)]
pub(crate) mod test_records;
#[cfg(test)]
mod tests;
