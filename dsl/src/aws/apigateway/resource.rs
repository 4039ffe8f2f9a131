//! `aws:apigateway:Resource`: one path segment, and [`resource_for_path`],
//! which declares a whole path.

use super::RestApiRef;
use crate::builder::declared;
use crate::{Stack, Val};
use meridian_schema::aws::apigateway::resource::{self, TYPE, input};

declared! {
    /// An `aws:apigateway:Resource`: one path segment. Any change replaces it.
    /// [`resource_for_path`] declares a whole path at once.
    ///
    /// ```
    /// use meridian_dsl::Stack;
    /// use meridian_dsl::aws::apigateway::{ApiResource, RestApi};
    ///
    /// let mut stack = Stack::new("prod", Default::default(), "us-east-1");
    /// let api = RestApi::new("api", "Api").declare(&mut stack);
    /// let object = ApiResource::new("object", &api, api.root_resource_id(), "object").declare(&mut stack);
    /// let item = ApiResource::new("object-id", &api, &object, "{id}").declare(&mut stack);
    /// stack.export("item_path", item.path());
    /// ```
    pub struct ApiResource => ApiResourceRef in resource {
        id: String;
        /// The full path (`/object/{id}`).
        path: String;
    }
}

impl ApiResource {
    /// The segment `path_part` (`object`, `{id}`, `{proxy+}`) under
    /// `parent_id` (the API's `root_resource_id`, or another resource).
    pub fn new(
        name: &str,
        api: &RestApiRef,
        parent_id: impl Into<Val<String>>,
        path_part: &str,
    ) -> Self {
        Self::from_core(
            api.child(name)
                .with(input::REST_API_ID, api.id_input())
                .with(input::PARENT_ID, parent_id.into())
                .with(input::PATH_PART, path_part),
        )
    }
}

impl ApiResource {
    /// Adds the resource to `stack` (and to the snapshot of its API's
    /// deployments); returns its handle.
    pub fn declare(self, stack: &mut Stack) -> ApiResourceRef {
        let name = self.core.declare(stack, TYPE);
        super::deployment::snapshot_in_deployments(stack, &name);
        ApiResourceRef { name }
    }
}

impl From<&ApiResourceRef> for Val<String> {
    fn from(r: &ApiResourceRef) -> Self {
        Val::Output(r.id())
    }
}

/// Declares every segment of `path` under `api` (reusing segments declared
/// before, so `/object` and `/object/{id}` share `/object`) and returns the
/// last one. Segment resources are named `<api name><path so far>`, e.g.
/// `api/object` and `api/object/{id}`.
///
/// ```
/// use meridian_dsl::Stack;
/// use meridian_dsl::aws::apigateway::{RestApi, resource_for_path};
///
/// let mut stack = Stack::new("prod", Default::default(), "us-east-1");
/// let api = RestApi::new("api", "Api").declare(&mut stack);
/// let item = resource_for_path(&mut stack, &api, "/object/{id}");
/// let list = resource_for_path(&mut stack, &api, "/object");
/// assert_eq!(item.name(), "api/object/{id}");
/// assert_eq!(list.name(), "api/object");
/// assert_eq!(stack.resources().len(), 3);
/// ```
pub fn resource_for_path(stack: &mut Stack, api: &RestApiRef, path: &str) -> ApiResourceRef {
    let mut parent: Val<String> = Val::Output(api.root_resource_id());
    let mut leaf = ApiResourceRef {
        name: api.name.clone(),
    };
    let mut so_far = String::new();
    for part in path.split('/').filter(|p| !p.is_empty()) {
        so_far.push('/');
        so_far.push_str(part);
        let name = format!("{}{so_far}", api.name);
        let declared = stack
            .resources()
            .iter()
            .any(|d| d.name == name && d.type_token == TYPE);
        leaf = if declared {
            ApiResourceRef { name }
        } else {
            // The API's name already carries the open scope's prefix.
            let prefix = &stack.defaults().name_prefix;
            let relative = name
                .strip_prefix(prefix.as_str())
                .unwrap_or(&name)
                .to_string();
            ApiResource::new(&relative, api, parent, part).declare(stack)
        };
        parent = Val::from(&leaf);
    }
    leaf
}
