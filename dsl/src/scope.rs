//! Scopes: a region, a name prefix and default options (the parent
//! component among them) for everything declared while the scope is open.
//! A [`Scope`] borrows the stack and dereferences to it, so builders declare
//! into it as into the stack; closing it (dropping it) restores the outer
//! defaults.

use crate::{Alias, ProviderConfig, Region, ResourceOptions, Stack};
use meridian_engine::DeclDefaults;
use std::ops::{Deref, DerefMut};

/// A stack with defaults for what is declared through it: a region, a name
/// prefix, and resource options (protection, retention, dependencies,
/// aliases, the parent component). A resource's own options win over the
/// scope's; lists (dependencies, aliases) add up. Scopes nest: an inner
/// scope starts from the outer one's defaults.
///
/// ```
/// use meridian_dsl::{Alias, Options, Region, Scope, Stack, null::NullResource};
///
/// let mut stack = Stack::new("dev", Default::default(), "us-east-1");
/// {
///     let mut eu = Scope::new(&mut stack)
///         .region(Region::EU_WEST_1)
///         .prefix("eu-")
///         .protect(true)
///         .aliases([Alias::root()]);
///     NullResource::new("a").declare(&mut eu);
///     NullResource::new("b").protect(false).declare(&mut eu);
/// }
/// NullResource::new("c").declare(&mut stack);
/// let decls = stack.resources();
/// assert_eq!(decls[0].name, "eu-a");
/// assert_eq!(decls[0].region, "eu-west-1");
/// assert_eq!(decls[0].options.protect, Some(true));
/// assert_eq!(decls[1].options.protect, Some(false)); // its own option wins
/// assert_eq!((decls[2].name.as_str(), decls[2].region.as_str()), ("c", "us-east-1"));
/// ```
pub struct Scope<'a> {
    stack: &'a mut Stack,
    /// The outer scope's region and defaults, restored on drop.
    outer: Option<(String, DeclDefaults)>,
}

impl<'a> Scope<'a> {
    /// A scope over `stack` (or over an open scope: `Scope::new(&mut outer)`),
    /// starting with its defaults.
    pub fn new(stack: &'a mut Stack) -> Scope<'a> {
        let outer = (stack.default_region().to_string(), stack.defaults().clone());
        Scope {
            stack,
            outer: Some(outer),
        }
    }

    fn with_defaults(self, change: impl FnOnce(&mut DeclDefaults)) -> Self {
        let mut defaults = self.stack.defaults().clone();
        change(&mut defaults);
        self.stack.set_defaults(defaults);
        self
    }

    /// Replaces the scope's defaults.
    pub(crate) fn set(self, defaults: DeclDefaults) -> Self {
        self.stack.set_defaults(defaults);
        self
    }

    fn with_options(self, change: impl FnOnce(&mut ResourceOptions)) -> Self {
        self.with_defaults(|d| change(&mut d.options))
    }

    /// Resources declared in the scope go to `region` unless they name one.
    pub fn region(self, region: Region) -> Self {
        self.stack.set_default_region(region.as_str());
        self
    }

    /// Names of resources declared in the scope start with `prefix` (after
    /// any outer scope's prefix).
    pub fn prefix(self, prefix: &str) -> Self {
        self.with_defaults(|d| d.name_prefix.push_str(prefix))
    }

    /// Default `protect` (see [`Options::protect`](crate::Options::protect)).
    pub fn protect(self, protect: bool) -> Self {
        self.with_options(|o| o.protect = Some(protect))
    }

    /// Default `retain_on_delete`.
    pub fn retain_on_delete(self, retain: bool) -> Self {
        self.with_options(|o| o.retain_on_delete = Some(retain))
    }

    /// Every resource in the scope depends on `resource` too.
    pub fn depends_on(self, resource: &str) -> Self {
        self.with_options(|o| o.depends_on.push(resource.to_string()))
    }

    /// Tags every resource of the scope whose type takes tags, under the
    /// resource's own tags; an outer scope's tags and the stack's default
    /// tags ([`Stack::default_tags`]) come under these.
    ///
    /// ```
    /// use meridian_dsl::{Scope, Stack, null::NullResource};
    /// let mut stack = Stack::new("dev", Default::default(), "us-east-1");
    /// stack.default_tags([("team", "platform"), ("cost-centre", "42")]);
    /// {
    ///     let mut api = Scope::new(&mut stack).tags([("team", "api")]);
    ///     NullResource::new("a").declare(&mut api);
    /// }
    /// NullResource::new("b").declare(&mut stack);
    /// let (decls, _) = stack.into_parts();
    /// assert_eq!(decls[0].options.default_tags["team"], "api"); // the scope's win
    /// assert_eq!(decls[0].options.default_tags["cost-centre"], "42");
    /// assert_eq!(decls[1].options.default_tags["team"], "platform");
    /// ```
    pub fn tags<K: Into<String>, V: Into<String>>(
        self,
        tags: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        let tags: Vec<(String, String)> = tags
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        self.with_options(|o| o.default_tags.extend(tags))
    }

    /// Manages every resource of the scope that names no provider
    /// configuration through `config` (another account, say).
    pub fn provider(self, config: impl Into<ProviderConfig>) -> Self {
        let config = config.into();
        self.with_options(|o| o.provider = Some(config))
    }

    /// Every resource in the scope had this identity before (typically
    /// [`Alias::root`]: the resources used to be declared under no
    /// component), so moving them into a component replaces nothing.
    pub fn aliases(self, aliases: impl IntoIterator<Item = Alias>) -> Self {
        self.with_options(|o| o.aliases.extend(aliases))
    }
}

impl Deref for Scope<'_> {
    type Target = Stack;
    fn deref(&self) -> &Stack {
        self.stack
    }
}

impl DerefMut for Scope<'_> {
    fn deref_mut(&mut self) -> &mut Stack {
        self.stack
    }
}

impl Drop for Scope<'_> {
    fn drop(&mut self) {
        if let Some((region, defaults)) = self.outer.take() {
            self.stack.set_default_region(&region);
            self.stack.set_defaults(defaults);
        }
    }
}

/// `own` options with the scope's `defaults` filled in: a resource's own
/// choice wins; lists add up (the scope's first).
pub(crate) fn apply_defaults(own: ResourceOptions, defaults: &ResourceOptions) -> ResourceOptions {
    let joined = |scope: &[String], own: &[String]| {
        let mut all = scope.to_vec();
        all.extend(own.iter().filter(|x| !scope.contains(x)).cloned());
        all
    };
    let mut out = own;
    out.depends_on = joined(&defaults.depends_on, &out.depends_on);
    out.ignore_changes = joined(&defaults.ignore_changes, &out.ignore_changes);
    out.replace_on_changes = joined(&defaults.replace_on_changes, &out.replace_on_changes);
    out.protect = out.protect.or(defaults.protect);
    out.retain_on_delete = out.retain_on_delete.or(defaults.retain_on_delete);
    out.delete_before_replace |= defaults.delete_before_replace;
    if out.parent.is_none() {
        out.parent = defaults.parent.clone();
    }
    if out.provider.is_none() {
        out.provider = defaults.provider.clone();
    }
    for (key, value) in &defaults.default_tags {
        out.default_tags
            .entry(key.clone())
            .or_insert_with(|| value.clone());
    }
    let own_aliases = std::mem::take(&mut out.aliases);
    out.aliases = defaults
        .aliases
        .iter()
        .cloned()
        .chain(own_aliases)
        .collect();
    out
}
