//! Create-or-adopt and read-by-id-or-identity, once, over a small per-type
//! trait ([`Managed`]); and [`create_once`] for creates AWS does not make
//! idempotent. A resource whose name is taken is adopted only when its
//! identity tag names this step's URN; anyone else's is refused with a hint.

use super::error::AwsError;
use super::retry::Policy;
use async_trait::async_trait;
use meridian_engine::{ErrorKind, OpContext, ProviderError};
use std::future::Future;

/// What create-or-adopt and read-by-identity need to know about one
/// resource type whose physical id (a name) is known before it exists.
/// Implement it on a small struct that holds the client and the inputs.
/// `Made` is what a successful create answers (by default nothing).
#[async_trait]
pub trait Managed<Made: Send = ()>: Send + Sync {
    /// The resource as a look-up reports it.
    type State: Send + Sync;

    /// The kind of thing, for messages: "table", "log group".
    const NOUN: &'static str;

    /// Where its id is unique, for messages: "in eu-west-1" by default.
    fn scope(&self, ctx: &OpContext) -> String {
        format!("in {}", ctx.region)
    }

    /// What to tell the person when the id belongs to someone else.
    const REFUSE_HINT: &'static str;

    /// How create attempts are spaced (default [`Policy::THROTTLING`]).
    fn create_policy(&self) -> Policy {
        Policy::THROTTLING
    }

    /// Whether a failed create attempt is worth another (default: transient).
    fn retry_create(&self, e: &AwsError) -> bool {
        e.is_transient()
    }

    /// One create attempt, carrying the identity tags (`tags::identity_tags`).
    async fn create(&self, ctx: &OpContext, id: &str) -> Result<Made, AwsError>;

    /// Whether a failed create says the id is taken (default:
    /// [`AwsError::is_already_exists`]).
    fn is_already_exists(&self, e: &AwsError) -> bool {
        e.is_already_exists()
    }

    /// Looks the resource up by id: `None` if there is none (or it is going
    /// away).
    async fn find(&self, ctx: &OpContext, id: &str) -> Result<Option<Self::State>, ProviderError>;

    /// The URN its identity tag names, read from the looked-up state (most
    /// look-ups answer the tags too; default: none).
    fn urn_tag(&self, _state: &Self::State) -> Option<String> {
        None
    }

    /// The URN its identity tag names, if any (default: [`Managed::urn_tag`];
    /// types whose tags take another call override this).
    async fn owner(
        &self,
        _ctx: &OpContext,
        state: &Self::State,
    ) -> Result<Option<String>, ProviderError> {
        Ok(self.urn_tag(state))
    }

    /// Ours, but can it be adopted? (A resource made by an interrupted
    /// create of another declaration may differ in what cannot change.)
    fn check_adoptable(
        &self,
        _ctx: &OpContext,
        _id: &str,
        _state: &Self::State,
    ) -> Result<(), ProviderError> {
        Ok(())
    }
}

/// What [`create_or_adopt`] did.
#[derive(Debug)]
pub enum Outcome<Made, State> {
    /// The create went through; this is its answer.
    Created(Made),
    /// The id was taken by this resource (an interrupted create): here it is.
    Adopted(State),
}

/// Creates the resource `id`, retrying as the type says. If the id is
/// taken, looks it up: ours (its identity tag names this step's URN, and
/// [`Managed::check_adoptable`] agrees) is adopted, anyone else's refused.
pub async fn create_or_adopt<R: Managed<M>, M: Send>(
    ctx: &OpContext,
    r: &R,
    id: &str,
) -> Result<Outcome<M, R::State>, ProviderError> {
    let noun = R::NOUN;
    ctx.status(&format!("creating {noun} {id}"));
    let policy = r.create_policy();
    let sent = super::retry::retry(
        ctx,
        &policy,
        |e: &AwsError| !r.is_already_exists(e) && r.retry_create(e),
        || r.create(ctx, id),
    )
    .await;
    match sent {
        Ok(made) => return Ok(Outcome::Created(made)),
        Err(e) if r.is_already_exists(&e) => {}
        Err(e) => return Err(e.into()),
    }
    // The id is taken: ours from an interrupted create, or not. Made moments
    // ago (a create whose answer was lost), it may not be readable yet.
    let what = format!("{noun} {id}");
    let found = super::consistency::read_until_found(ctx, &what, || r.find(ctx, id)).await?;
    let Some(state) = found else {
        return Err(ProviderError::transient(format!(
            "{noun} {id} already exists but cannot be read yet (it may be being deleted); \
             try again once it is gone"
        )));
    };
    let owner = r.owner(ctx, &state).await?;
    if !super::tags::is_ours(ctx, owner.as_deref()) {
        return Err(ProviderError::permanent(format!(
            "{noun} {id} already exists {} and is not managed by {} ({})",
            r.scope(ctx),
            ctx.urn,
            match owner {
                Some(o) => format!("it belongs to {o}"),
                None => "it has no Meridian tag".to_string(),
            }
        ))
        .with_hint(refuse_hint(R::REFUSE_HINT, ctx, id)));
    }
    r.check_adoptable(ctx, id, &state)?;
    ctx.status(&format!("adopting {noun} {id} from an interrupted create"));
    Ok(Outcome::Adopted(state))
}

/// The hint for an id taken by a resource Meridian does not manage here:
/// the type's own advice, then the command that imports it instead (a
/// [`Managed`] type's import id is the id it creates by).
pub fn refuse_hint(advice: &str, ctx: &OpContext, id: &str) -> String {
    format!(
        "{advice}; or, if it is the one you mean, adopt it as {name:?} without changing it: run the program with `import {name} {id}`",
        name = ctx.name
    )
}

/// `read` for a [`Managed`] type: by the recorded id when there is one,
/// else by the id the inputs give (`identity_id`), and then only if its
/// identity tag names this step's URN. Answers the id and the state.
pub async fn read_by_id_or_identity<R: Managed<M>, M: Send>(
    ctx: &OpContext,
    r: &R,
    id: Option<&str>,
    identity_id: impl FnOnce() -> Result<String, ProviderError>,
) -> Result<Option<(String, R::State)>, ProviderError> {
    let (id, by_identity) = match id {
        Some(id) => (id.to_string(), false),
        None => (identity_id()?, true),
    };
    let Some(state) = r.find(ctx, &id).await? else {
        return Ok(None);
    };
    if by_identity && !super::tags::is_ours(ctx, r.owner(ctx, &state).await?.as_deref()) {
        return Ok(None);
    }
    Ok(Some((id, state)))
}

/// Sends a create that AWS does not make idempotent (no client token:
/// CreateRestApi, CreateDeployment) so that it takes effect at most once.
/// `send` makes one attempt with the SDK's own retries off (an SDK retry
/// would send it again blindly). After an attempt that fails in a way that
/// may have reached the cloud (a lost answer, a 5xx, throttling), `find`
/// looks for what it made, by the step's token, before the next attempt; a
/// look that fails is retried in turn, so the create is sent again only once
/// `find` has said nothing is there. Attempts are spaced by
/// [`Policy::THROTTLING`] until the step's deadline.
pub async fn create_once<T, S, SF, F, FF>(
    ctx: &OpContext,
    mut send: S,
    mut find: F,
) -> Result<T, ProviderError>
where
    S: FnMut() -> SF,
    SF: Future<Output = Result<T, ProviderError>>,
    F: FnMut() -> FF,
    FF: Future<Output = Result<Option<T>, ProviderError>>,
{
    let mut backoff = Policy::THROTTLING.backoff(ctx);
    let mut sent = false;
    loop {
        let outcome = if !sent {
            sent = true;
            send().await
        } else {
            match find().await {
                Ok(Some(found)) => return Ok(found),
                Ok(None) => send().await,
                Err(e) => Err(e),
            }
        };
        match outcome {
            Err(e) if e.kind != ErrorKind::Permanent => {
                if !backoff.pause().await {
                    return Err(e);
                }
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::time::Duration;

    /// A type whose every create answers "already exists", and whose one
    /// resource is tagged with `owner`.
    struct Taken {
        owner: Option<String>,
    }

    fn exists() -> AwsError {
        AwsError {
            context: "CreateThing t".into(),
            failure: super::super::error::Failure::Service,
            code: Some("ResourceAlreadyExistsException".into()),
            status: Some(400),
            request_id: None,
            message: "exists".into(),
        }
    }

    #[async_trait]
    impl Managed for Taken {
        type State = &'static str;
        const NOUN: &'static str = "thing";
        const REFUSE_HINT: &'static str = "pick another name";
        async fn create(&self, _: &OpContext, _: &str) -> Result<(), AwsError> {
            Err(exists())
        }
        async fn find(
            &self,
            _: &OpContext,
            _: &str,
        ) -> Result<Option<&'static str>, ProviderError> {
            Ok(Some("the thing"))
        }
        async fn owner(
            &self,
            _: &OpContext,
            _: &&'static str,
        ) -> Result<Option<String>, ProviderError> {
            Ok(self.owner.clone())
        }
    }

    fn ctx() -> OpContext {
        OpContext::new("urn:a", "n", "us-east-1", "t", Duration::from_secs(5))
    }

    #[tokio::test]
    async fn a_taken_name_is_adopted_when_it_carries_our_urn() {
        let r = Taken {
            owner: Some("urn:a".into()),
        };
        let out = create_or_adopt(&ctx(), &r, "t").await.unwrap();
        assert!(matches!(out, Outcome::Adopted("the thing")));
    }

    #[tokio::test]
    async fn a_taken_name_is_refused_when_it_is_someone_elses() {
        let r = Taken {
            owner: Some("urn:b".into()),
        };
        let e = create_or_adopt(&ctx(), &r, "t").await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Permanent);
        assert!(e.message.contains("thing t already exists"), "{e}");
        assert!(e.message.contains("it belongs to urn:b"), "{e}");
        let hint = e.hint.unwrap_or_default();
        assert!(hint.starts_with("pick another name; "), "{hint}");
        assert!(
            hint.ends_with("run the program with `import n t`"),
            "{hint}"
        );
    }

    #[tokio::test]
    async fn read_by_identity_ignores_what_is_not_ours() {
        let r = Taken { owner: None };
        let found = read_by_id_or_identity(&ctx(), &r, None, || Ok("t".into())).await;
        assert_eq!(found.map(|f| f.is_none()), Ok(true));
        let found = read_by_id_or_identity(&ctx(), &r, Some("t"), || unreachable!()).await;
        assert_eq!(
            found.map(|f| f.map(|(id, _)| id)),
            Ok(Some("t".to_string()))
        );
    }

    #[tokio::test]
    async fn create_once_looks_before_sending_again() {
        let ctx = OpContext::new("urn", "n", "us-east-1", "t", Duration::from_secs(5));
        let sends = AtomicU32::new(0);
        let looks = AtomicU32::new(0);
        // The first send reaches the cloud but its answer is lost; the
        // first look fails; the second finds what the first send made.
        let r = create_once(
            &ctx,
            || async {
                sends.fetch_add(1, Ordering::SeqCst);
                Err::<&str, _>(ProviderError::unknown("connection closed"))
            },
            || async {
                match looks.fetch_add(1, Ordering::SeqCst) {
                    0 => Err(ProviderError::transient("throttled")),
                    _ => Ok(Some("made-by-the-first-send")),
                }
            },
        )
        .await;
        assert_eq!(r, Ok("made-by-the-first-send"));
        assert_eq!(sends.load(Ordering::SeqCst), 1);
    }
}
