//! A declaration's options as it keeps them: nothing but a null pointer
//! while they are all defaults (as almost every resource's are), else one
//! boxed [`ResourceOptions`]. Reads and writes go through `Deref`, so
//! `decl.options.protect` reads as before.

use super::{CustomTimeouts, ResourceOptions};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;
use std::fmt;

/// Every option at its default: what an empty [`DeclOptions`] reads as.
static DEFAULTS: ResourceOptions = ResourceOptions {
    depends_on: Vec::new(),
    protect: None,
    retain_on_delete: None,
    ignore_changes: Vec::new(),
    replace_on_changes: Vec::new(),
    delete_before_replace: false,
    timeouts: CustomTimeouts {
        create: None,
        update: None,
        delete: None,
    },
    parent: None,
    aliases: Vec::new(),
    provider: None,
    default_tags: BTreeMap::new(),
    import_id: None,
};

/// A declaration's [`ResourceOptions`], stored only when one is set.
#[derive(Clone, Default)]
pub struct DeclOptions(Option<Box<ResourceOptions>>);

impl DeclOptions {
    /// The options themselves (the defaults if none was set).
    pub fn into_inner(self) -> ResourceOptions {
        self.0.map(|o| *o).unwrap_or_default()
    }
}

impl From<ResourceOptions> for DeclOptions {
    fn from(options: ResourceOptions) -> Self {
        if options == DEFAULTS {
            DeclOptions(None)
        } else {
            DeclOptions(Some(Box::new(options)))
        }
    }
}

impl std::ops::Deref for DeclOptions {
    type Target = ResourceOptions;
    fn deref(&self) -> &ResourceOptions {
        self.0.as_deref().unwrap_or(&DEFAULTS)
    }
}

impl std::ops::DerefMut for DeclOptions {
    fn deref_mut(&mut self) -> &mut ResourceOptions {
        self.0.get_or_insert_with(Box::default)
    }
}

impl PartialEq for DeclOptions {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl PartialEq<ResourceOptions> for DeclOptions {
    fn eq(&self, other: &ResourceOptions) -> bool {
        **self == *other
    }
}

impl fmt::Debug for DeclOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl Serialize for DeclOptions {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        (**self).serialize(s)
    }
}

impl<'de> Deserialize<'de> for DeclOptions {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        ResourceOptions::deserialize(d).map(DeclOptions::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_options_take_no_box_and_read_as_the_defaults() {
        let options = DeclOptions::from(ResourceOptions::default());
        assert!(options.0.is_none());
        assert_eq!(options, ResourceOptions::default());
        assert_eq!(std::mem::size_of::<DeclOptions>(), 8);
    }

    #[test]
    fn a_set_option_is_kept_and_serializes_as_the_options_do() {
        let set = ResourceOptions {
            protect: Some(true),
            depends_on: vec!["a".into()],
            ..Default::default()
        };
        let mut options = DeclOptions::from(set.clone());
        assert_eq!(options.protect, Some(true));
        assert_eq!(
            serde_json::to_value(&options).unwrap(),
            serde_json::to_value(&set).unwrap()
        );
        options.depends_on.push("b".into());
        assert_eq!(options.depends_on, ["a", "b"]);
        let mut empty = DeclOptions::from(ResourceOptions::default());
        empty.retain_on_delete = Some(false);
        assert_eq!(empty.retain_on_delete, Some(false));
    }
}
