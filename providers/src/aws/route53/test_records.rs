//! Record sets as Route 53 lists them (names with the trailing dot, TTL
//! 300), for the unit tests of Route 53 and of ACM's shared validation
//! records.

use aws_sdk_route53::types::{ResourceRecord, ResourceRecordSet, RrType};

/// A record set `name` of `rtype` holding `values`, as a listing answers it.
pub(crate) fn listed(name: &str, rtype: RrType, values: &[&str]) -> ResourceRecordSet {
    let mut b = ResourceRecordSet::builder()
        .name(name)
        .r#type(rtype)
        .ttl(300);
    for v in values {
        b = b.resource_records(ResourceRecord::builder().value(*v).build().expect("value"));
    }
    b.build().expect("record set")
}
