//! AWS regions: the [`Region`] type and the regions Meridian accepts.
//!
//! A `Region` is made only by its constants or [`Region::parse`], so a stray
//! string cannot end up where a region belongs.

use std::borrow::Cow;

/// An AWS region. Only these constants and [`Region::parse`] make one, so a
/// stray string cannot end up where a region belongs.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Region(Cow<'static, str>);

/// The regions Meridian accepts (the commercial AWS regions): a constant
/// each, and `ALL` / `NAMES` in the same order.
macro_rules! regions {
    ($($constant:ident = $name:literal,)+) => {
        impl Region {
            $(pub const $constant: Region = Region(Cow::Borrowed($name));)+

            /// Every region Meridian accepts (the commercial AWS regions).
            pub const ALL: &'static [Region] = &[$(Region::$constant,)+];
            /// The names of [`Region::ALL`], in the same order.
            pub const NAMES: &'static [&'static str] = &[$($name,)+];
        }
    };
}

regions!(
    US_EAST_1 = "us-east-1",
    US_EAST_2 = "us-east-2",
    US_WEST_1 = "us-west-1",
    US_WEST_2 = "us-west-2",
    AF_SOUTH_1 = "af-south-1",
    AP_EAST_1 = "ap-east-1",
    AP_SOUTH_1 = "ap-south-1",
    AP_SOUTH_2 = "ap-south-2",
    AP_NORTHEAST_1 = "ap-northeast-1",
    AP_NORTHEAST_2 = "ap-northeast-2",
    AP_NORTHEAST_3 = "ap-northeast-3",
    AP_SOUTHEAST_1 = "ap-southeast-1",
    AP_SOUTHEAST_2 = "ap-southeast-2",
    AP_SOUTHEAST_3 = "ap-southeast-3",
    AP_SOUTHEAST_4 = "ap-southeast-4",
    CA_CENTRAL_1 = "ca-central-1",
    CA_WEST_1 = "ca-west-1",
    EU_CENTRAL_1 = "eu-central-1",
    EU_CENTRAL_2 = "eu-central-2",
    EU_WEST_1 = "eu-west-1",
    EU_WEST_2 = "eu-west-2",
    EU_WEST_3 = "eu-west-3",
    EU_NORTH_1 = "eu-north-1",
    EU_SOUTH_1 = "eu-south-1",
    EU_SOUTH_2 = "eu-south-2",
    IL_CENTRAL_1 = "il-central-1",
    ME_CENTRAL_1 = "me-central-1",
    ME_SOUTH_1 = "me-south-1",
    SA_EAST_1 = "sa-east-1",
);

impl Region {
    /// Parses a region name such as `eu-west-1`. Whether AWS has the region
    /// is the provider's check, run when the graph is built (see
    /// [`Region::is_known`]).
    pub fn parse(name: &str) -> Result<Region, String> {
        let ok = name.split('-').count() >= 3
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && name.chars().last().is_some_and(|c| c.is_ascii_digit());
        if ok {
            Ok(Region(Cow::Owned(name.to_string())))
        } else {
            Err(format!(
                "{name:?} is not a region name (expected something like \"eu-west-1\")"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether Meridian accepts this region (it is one of [`Region::ALL`]).
    pub fn is_known(&self) -> bool {
        Region::NAMES.contains(&self.as_str())
    }
}

impl std::fmt::Display for Region {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
