//! One typed AWS error, classified once from the SDK's `SdkError`: the
//! service's error code, HTTP status, request id and message, with the
//! predicates retries and adopt paths ask (`is_code`, `is_not_found`, ...).
//! Nothing downstream searches formatted error text.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use meridian_engine::{ErrorKind, ProviderError};
use std::fmt;

/// How an SDK call failed, before any service answered or after.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The request could not be built (a bug or a bad input): never sent.
    Construction,
    /// The SDK's own timeout fired: the call may have taken effect.
    Timeout,
    /// The connection failed or closed before the answer (IO, a connect
    /// timeout, a dropped response): the call may have taken effect.
    Lost,
    /// The request could not be dispatched for a reason that will not pass
    /// by itself (no credentials, a bad endpoint): never sent.
    Dispatch,
    /// An answer came but could not be read: the call may have taken effect.
    Response,
    /// The service answered with an error (code, status, message).
    Service,
}

/// An AWS call that failed, with what the service said about it.
#[derive(Clone, Debug, PartialEq)]
pub struct AwsError {
    /// What was being done, e.g. `CreateTable orders` (starts the message).
    pub context: String,
    pub failure: Failure,
    /// The service's error code (`ResourceNotFoundException`), if it sent one.
    pub code: Option<String>,
    /// The HTTP status of the answer, if one came.
    pub status: Option<u16>,
    pub request_id: Option<String>,
    /// The service's message, or the SDK's description of the failure.
    pub message: String,
}

/// Error codes that mean "slow down and try again" (or a passing server
/// fault that AWS names by code rather than by status).
pub const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "ConcurrentModification",
    "ConcurrentModificationException",
    "InternalFailure",
    "InternalError",
    "InternalServerError",
    "ServiceUnavailable",
    "ServiceUnavailableException",
];

/// Error codes that mean "there is no such thing" across the services
/// Meridian uses.
pub const NOT_FOUND_CODES: &[&str] = &[
    "ResourceNotFoundException",
    "ResourceNotFound",
    "NotFoundException",
    "NotFound",
    "NoSuchEntity",
    "NoSuchHostedZone",
];

/// Error codes that mean "that name is taken" across the services Meridian
/// uses (DynamoDB's `ResourceInUseException` is not one: it also means busy).
pub const ALREADY_EXISTS_CODES: &[&str] = &[
    "ResourceAlreadyExistsException",
    "EntityAlreadyExists",
    "AlreadyExistsException",
    "ConflictException",
    "HostedZoneAlreadyExists",
];

impl AwsError {
    /// Classifies an SDK error once; `context` says what was being done.
    /// (`R` is the SDK's `HttpResponse` for every AWS call; it is generic
    /// only so that callers generic over it need no bound of their own.)
    pub fn from_sdk<E, R>(context: &str, e: SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        let described = |e: &SdkError<E, R>| format!("{}", DisplayErrorContext(e));
        let status = e
            .raw_response()
            .and_then(|r| (r as &dyn std::any::Any).downcast_ref::<HttpResponse>())
            .map(|r| r.status().as_u16());
        let (failure, code, request_id, message) = match &e {
            SdkError::ServiceError(se) => {
                let err = se.err();
                let request_id = err
                    .meta()
                    .extra("aws_request_id")
                    .or_else(|| err.meta().extra("request_id"))
                    .map(str::to_string);
                (
                    Failure::Service,
                    err.code().map(str::to_string),
                    request_id,
                    err.message().unwrap_or("").to_string(),
                )
            }
            SdkError::TimeoutError(_) => (Failure::Timeout, None, None, described(&e)),
            SdkError::ResponseError(_) => (Failure::Response, None, None, described(&e)),
            SdkError::DispatchFailure(df) => {
                // A connection closed before the answer ("IncompleteMessage")
                // is classified as other-but-transient: the request may have
                // reached the cloud, so its outcome is unknown too.
                let dropped =
                    df.as_other() == Some(aws_smithy_types::retry::ErrorKind::TransientError);
                let failure = if df.is_io() || df.is_timeout() || dropped {
                    Failure::Lost
                } else {
                    Failure::Dispatch
                };
                (failure, None, None, described(&e))
            }
            _ => (Failure::Construction, None, None, described(&e)),
        };
        AwsError {
            context: context.to_string(),
            failure,
            code,
            status,
            request_id,
            message,
        }
    }

    /// The service's error code, if it sent one.
    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }

    /// Whether the service answered with error code `code`.
    pub fn is_code(&self, code: &str) -> bool {
        self.code() == Some(code)
    }

    /// Whether the service answered with one of `codes`.
    pub fn is_any_code(&self, codes: &[&str]) -> bool {
        self.code().is_some_and(|c| codes.contains(&c))
    }

    /// "There is no such thing" ([`NOT_FOUND_CODES`]).
    pub fn is_not_found(&self) -> bool {
        self.is_any_code(NOT_FOUND_CODES)
    }

    /// "That name is taken" ([`ALREADY_EXISTS_CODES`]).
    pub fn is_already_exists(&self) -> bool {
        self.is_any_code(ALREADY_EXISTS_CODES)
    }

    /// Throttling (or a server fault named by code, [`THROTTLING_CODES`]),
    /// or a limit that passes by itself ([`is_passing_limit`](Self::is_passing_limit)).
    pub fn is_throttling(&self) -> bool {
        self.is_any_code(THROTTLING_CODES) || self.is_passing_limit()
    }

    /// A `LimitExceededException` that clears as other operations finish:
    /// DynamoDB's "... tables can be created, updated, or deleted
    /// simultaneously". Every other LimitExceededException is a quota (ACM's
    /// certificates, DynamoDB's tables, log groups) and final: sending again
    /// changes nothing. (DynamoDB names both by the same code; only the
    /// message tells them apart, so it is read here, once.)
    pub fn is_passing_limit(&self) -> bool {
        self.is_code("LimitExceededException") && self.message.contains("simultaneously")
    }

    /// The service answered with a 5xx status.
    pub fn is_server_error(&self) -> bool {
        self.failure == Failure::Service && self.status.is_some_and(|s| (500..600).contains(&s))
    }

    /// Throttling or a 5xx: the call did not take effect and may simply be
    /// sent again later (what the engine calls transient).
    pub fn is_transient(&self) -> bool {
        self.failure == Failure::Service && (self.is_throttling() || self.is_server_error())
    }

    /// The call may have reached the cloud and taken effect (a timeout, a
    /// dropped connection, an unreadable answer).
    pub fn outcome_unknown(&self) -> bool {
        matches!(
            self.failure,
            Failure::Timeout | Failure::Lost | Failure::Response
        )
    }

    /// Worth sending again for an idempotent call: transient, or lost on
    /// the way (IO, timeouts). A create that AWS does not make idempotent
    /// must not be resent on a lost answer: see `adopt::create_once`.
    pub fn is_retryable(&self) -> bool {
        self.is_transient() || self.outcome_unknown()
    }

    /// The message without its context: `Code: message [request id ...]`
    /// for a service error, else the SDK's description.
    pub fn detail(&self) -> String {
        match self.failure {
            Failure::Service => format!(
                "{}: {}{}",
                self.code().unwrap_or("Unknown"),
                self.message,
                self.request_id
                    .as_ref()
                    .map(|id| format!(" [request id {id}]"))
                    .unwrap_or_default()
            ),
            _ => self.message.clone(),
        }
    }

    /// The engine's class of this failure.
    pub fn kind(&self) -> ErrorKind {
        match self.failure {
            Failure::Service if self.is_transient() => ErrorKind::Transient,
            Failure::Service | Failure::Dispatch | Failure::Construction => ErrorKind::Permanent,
            Failure::Timeout | Failure::Lost | Failure::Response => ErrorKind::Unknown,
        }
    }

    /// What to tell the person, when the failure has a known remedy.
    pub fn hint(&self) -> Option<String> {
        match self.failure {
            Failure::Service => hint_for(self.code().unwrap_or("Unknown"), &self.message),
            Failure::Dispatch | Failure::Lost => {
                if self.message.contains("credentials") {
                    Some("check AWS credentials: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run `aws sso login`".into())
                } else if self.message.contains("onnection refused") {
                    Some("nothing answers at the AWS endpoint; if you use the local test cloud, start it with scripts/testcloud start".into())
                } else {
                    None
                }
            }
            _ => None,
        }
    }

    /// Into the engine's error, with [`kind`](Self::kind) and the hint.
    pub fn into_provider_error(self) -> ProviderError {
        ProviderError {
            kind: self.kind(),
            message: self.to_string(),
            hint: self.hint(),
        }
    }
}

impl AwsError {
    /// Into the engine's error as transient whatever the code: for a code
    /// the caller has retried as passing (a table or certificate still in
    /// use) until the deadline ran out.
    pub fn into_transient(self) -> ProviderError {
        ProviderError {
            kind: ErrorKind::Transient,
            ..self.into_provider_error()
        }
    }
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.context, self.detail())
    }
}

impl std::error::Error for AwsError {}

/// Into the engine's error, transient also when `clears` says so of it: a
/// service's own conflicts that clear by themselves (a concurrent
/// modification, a busy function), which the generic classification calls
/// permanent.
pub fn transient_when(e: AwsError, clears: impl Fn(&AwsError) -> bool) -> ProviderError {
    let transient = clears(&e);
    let mut err = ProviderError::from(e);
    if transient {
        err.kind = ErrorKind::Transient;
    }
    err
}

impl From<AwsError> for ProviderError {
    fn from(e: AwsError) -> Self {
        e.into_provider_error()
    }
}

fn hint_for(code: &str, message: &str) -> Option<String> {
    match code {
        "ExpiredToken" | "ExpiredTokenException" | "RequestExpired" => {
            Some("your AWS credentials have expired; refresh them (e.g. `aws sso login`) and run again".into())
        }
        "UnrecognizedClientException" | "InvalidClientTokenId" | "InvalidSignatureException" => {
            Some("the AWS credentials are not valid for this account; check AWS_PROFILE / AWS_ACCESS_KEY_ID".into())
        }
        "AccessDenied" | "AccessDeniedException" => {
            Some("the caller lacks an IAM permission named in the message".into())
        }
        "LimitExceededException" if !message.contains("simultaneously") => Some(
            "an AWS quota of this account is reached (sending again does not help): delete what \
             is no longer used, or ask for a higher quota in the Service Quotas console"
                .into(),
        ),
        "InvalidParameterValueException"
            if message.contains("cannot be assumed") || message.contains("CreateGrant") =>
        {
            Some(
            "IAM is eventually consistent: a new role can take seconds to be assumable; Meridian retried for a bounded time".into(),
            )
        }
        _ => None,
    }
}

/// `.aws("CreateTable orders")` on an SDK call's result: classifies its
/// error into an [`AwsError`].
pub trait SdkResultExt<T> {
    fn aws(self, context: &str) -> Result<T, AwsError>;
}

impl<T, E, R> SdkResultExt<T> for Result<T, SdkError<E, R>>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    fn aws(self, context: &str) -> Result<T, AwsError> {
        self.map_err(|e| AwsError::from_sdk(context, e))
    }
}

/// `.found()` on a look-up's result: "not found" becomes `Ok(None)`.
pub trait NotFoundExt<T> {
    fn found(self) -> Result<Option<T>, AwsError>;
}

impl<T> NotFoundExt<T> for Result<T, AwsError> {
    fn found(self) -> Result<Option<T>, AwsError> {
        match self {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// Maps an SDK error straight to a provider error (for call sites that
/// need nothing from the typed error).
pub fn sdk_error<E, R>(context: &str, e: SdkError<E, R>) -> ProviderError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    AwsError::from_sdk(context, e).into_provider_error()
}

/// The error code of an SDK error, if the service sent one.
pub fn error_code<E: ProvideErrorMetadata, R>(e: &SdkError<E, R>) -> Option<String> {
    match e {
        SdkError::ServiceError(se) => se.err().code().map(str::to_string),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(code: &str, status: u16) -> AwsError {
        AwsError {
            context: "CreateTable t".into(),
            failure: Failure::Service,
            code: Some(code.into()),
            status: Some(status),
            request_id: Some("r-1".into()),
            message: "said no".into(),
        }
    }

    #[test]
    fn throttling_and_server_errors_are_transient() {
        assert!(service("ThrottlingException", 400).is_transient());
        assert!(service("Whatever", 503).is_transient());
        assert!(!service("ValidationException", 400).is_transient());
        assert_eq!(service("Whatever", 500).kind(), ErrorKind::Transient);
        assert_eq!(
            service("ValidationException", 400).kind(),
            ErrorKind::Permanent
        );
    }

    #[test]
    fn a_quota_is_final_but_too_many_simultaneous_table_operations_pass() {
        let limit = |message: &str| AwsError {
            message: message.into(),
            ..service("LimitExceededException", 400)
        };
        let quota =
            limit("Error: you have reached your limit of 20 certificates in the last year.");
        assert!(!quota.is_transient() && !quota.is_retryable());
        assert_eq!(quota.kind(), ErrorKind::Permanent);
        assert!(quota.hint().is_some_and(|h| h.contains("quota")));
        let tables =
            limit("Subscriber limit exceeded: Only 2500 tables can be created in this region");
        assert_eq!(tables.kind(), ErrorKind::Permanent);
        let busy = limit(
            "Subscriber limit exceeded: Only 50 tables can be created, updated, or deleted simultaneously",
        );
        assert!(busy.is_transient());
        assert_eq!(busy.kind(), ErrorKind::Transient);
    }

    #[test]
    fn the_message_keeps_code_message_and_request_id() {
        let e: ProviderError = service("ResourceInUseException", 400).into();
        assert_eq!(
            e.message,
            "CreateTable t: ResourceInUseException: said no [request id r-1]"
        );
    }

    #[test]
    fn lost_answers_leave_the_outcome_unknown() {
        let e = AwsError {
            failure: Failure::Lost,
            code: None,
            status: None,
            request_id: None,
            ..service("", 0)
        };
        assert!(e.outcome_unknown() && e.is_retryable() && !e.is_transient());
        assert_eq!(e.kind(), ErrorKind::Unknown);
    }

    #[test]
    fn not_found_is_found_none() {
        let r: Result<(), AwsError> = Err(service("NoSuchHostedZone", 404));
        assert_eq!(r.found(), Ok(None));
        let r: Result<(), AwsError> = Err(service("AccessDenied", 403));
        assert!(r.found().is_err());
    }
}
