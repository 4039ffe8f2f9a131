//! The schema's values read from a stack's configuration (or any serde
//! format): each deserializes with the same validation as its constructor,
//! and a refusal names the value and what is accepted.

use crate::Region;
use crate::aws::logs::RetentionDays;
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

    #[test]
    fn values_deserialize_with_validation() {
        assert_eq!(from_str::<Region>("eu-west-1").unwrap(), Region::EU_WEST_1);
        let e = from_str::<Region>("mars-west-1").unwrap_err();
        assert!(e.contains("unknown AWS region \"mars-west-1\""), "{e}");
        assert!(e.contains("us-east-1"), "{e}");
        assert!(
            from_str::<Region>("US_EAST_1")
                .unwrap_err()
                .contains("is not a region name")
        );
        assert_eq!(
            from_str::<RetentionDays>("30").unwrap(),
            RetentionDays::OneMonth
        );
        let e = from_str::<RetentionDays>("45").unwrap_err();
        assert!(e.starts_with("45 is not a retention"), "{e}");
        assert!(e.contains("1, 3, 5, 7"), "{e}");
        assert!(
            from_str::<RetentionDays>("x")
                .unwrap_err()
                .contains("not a number of days")
        );
        use crate::aws::lambda::{Architecture, Runtime};
        assert_eq!(
            from_str::<Architecture>("x86_64").unwrap(),
            Architecture::X86_64
        );
        assert_eq!(
            from_str::<Runtime>("nodejs20.x").unwrap(),
            Runtime::Nodejs20x
        );
        let e = from_str::<Runtime>("cobol").unwrap_err();
        assert!(e.contains("\"cobol\" is not one of nodejs18.x"), "{e}");
    }
}
