//! The schema's values read from a stack's configuration (or any serde
//! format): each deserializes with the same validation as its constructor,
//! and a refusal names the value and what is accepted.

use crate::aws::accounts::{RoleArn, Tags};
use crate::aws::logs::RetentionDays;
use crate::{DnsName, Region};
use serde::de::{self, Deserialize, Deserializer, Visitor};
use std::fmt;

impl<'de> Deserialize<'de> for Region {
    /// A region Meridian accepts (one of [`Region::NAMES`]).
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        let region = Region::parse(&name).map_err(de::Error::custom)?;
        if !region.is_known() {
            return Err(de::Error::custom(format!(
                "unknown AWS region {name:?} (expected one of {})",
                Region::NAMES.join(", ")
            )));
        }
        Ok(region)
    }
}

/// Deserializes each type from a string, checked as its `parse` checks it
/// (a refusal is `parse`'s message).
macro_rules! parsed_from_string {
    ($($value:ty),+) => {$(
        impl<'de> Deserialize<'de> for $value {
            #[doc = concat!("A string, checked as [`", stringify!($value), "::parse`] does.")]
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                <$value>::parse(&String::deserialize(d)?).map_err(de::Error::custom)
            }
        }
    )+};
}

// A DNS name (normalized), a role ARN, `key=value` tags separated by commas.
parsed_from_string!(DnsName, RoleArn, Tags);

impl<'de> Deserialize<'de> for RetentionDays {
    /// A number of days CloudWatch Logs accepts, as a number or a string.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(DaysVisitor)
    }
}

struct DaysVisitor;

impl DaysVisitor {
    fn days<E: de::Error>(days: i64) -> Result<RetentionDays, E> {
        RetentionDays::from_days(days).ok_or_else(|| {
            let allowed: Vec<String> = RetentionDays::DAYS.iter().map(i64::to_string).collect();
            E::custom(format!(
                "{days} is not a retention CloudWatch Logs accepts; use one of {}",
                allowed.join(", ")
            ))
        })
    }
}

impl Visitor<'_> for DaysVisitor {
    type Value = RetentionDays;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a number of days CloudWatch Logs accepts")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<RetentionDays, E> {
        Self::days(v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<RetentionDays, E> {
        Self::days(i64::try_from(v).unwrap_or(i64::MAX))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<RetentionDays, E> {
        let days: i64 = v
            .trim()
            .parse()
            .map_err(|_| E::custom(format!("{v:?} is not a number of days (example: 90)")))?;
        Self::days(days)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::de::IntoDeserializer;
    use serde::de::value::{Error, StrDeserializer};

    fn from_str<'a, T: Deserialize<'a>>(s: &'a str) -> Result<T, String> {
        let d: StrDeserializer<'a, Error> = s.into_deserializer();
        T::deserialize(d).map_err(|e| e.to_string())
    }

    /// `good` reads as `expected`; each of `bad` is refused with a message
    /// that holds every fragment given with it.
    fn reads<'a, T>(good: &'a str, expected: T, bad: &[(&'a str, &[&str])])
    where
        T: Deserialize<'a> + std::fmt::Debug + PartialEq,
    {
        assert_eq!(from_str::<T>(good).unwrap(), expected);
        for (input, fragments) in bad {
            let e = from_str::<T>(input).unwrap_err();
            for fragment in *fragments {
                assert!(e.contains(fragment), "{input:?}: {e}");
            }
        }
    }

    #[test]
    fn regions_deserialize_with_validation() {
        let unknown: &[&str] = &["unknown AWS region \"mars-west-1\"", "us-east-1"];
        let bad = [
            ("mars-west-1", unknown),
            ("US_EAST_1", &["is not a region name"]),
        ];
        reads("eu-west-1", Region::EU_WEST_1, &bad);
    }

    #[test]
    fn retention_periods_deserialize_from_numbers_cloudwatch_logs_accepts() {
        let bad: [(&str, &[&str]); 2] = [("45", &["1, 3, 5, 7"]), ("x", &["not a number of days"])];
        reads("30", RetentionDays::OneMonth, &bad);
        let e = from_str::<RetentionDays>("45").unwrap_err();
        assert!(e.starts_with("45 is not a retention"), "{e}");
    }

    #[test]
    fn aws_names_deserialize_exactly() {
        use crate::aws::lambda::{Architecture, Runtime};
        reads("x86_64", Architecture::X86_64, &[]);
        let unknown: &[&str] = &["\"cobol\" is not one of nodejs18.x"];
        reads("nodejs20.x", Runtime::Nodejs20x, &[("cobol", unknown)]);
    }
}
