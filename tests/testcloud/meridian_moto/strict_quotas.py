"""Strict mode, quotas: ACM certificates and DynamoDB tables (quirks `acm_quota`, `dynamodb_quota`).

AWS behaviour reproduced, each while its quirk is on for the account, with small quotas so that
tests can reach them (settings.LIMITS, set per account like a delay):
- `acm_quota`: RequestCertificate when the region already holds `acm_certificates` certificates
  of the account: LimitExceededException "Error: you have reached your limit of N certificates in
  the last year." (final: a quota). A request that repeats an earlier IdempotencyToken answers
  that certificate, as AWS does, and is not counted.
- `dynamodb_quota`: CreateTable when the region already holds `dynamodb_tables` tables:
  LimitExceededException "Subscriber limit exceeded: ..." (final); CreateTable, UpdateTable or
  DeleteTable while `dynamodb_table_operations` tables are CREATING or UPDATING:
  LimitExceededException "Subscriber limit exceeded: Only N tables can be created, updated, or
  deleted simultaneously" (retryable: it clears as they finish).
Not reproduced: ACM counts the certificates requested in the last year (deleted ones too);
here only those that exist count. Tables being deleted vanish at once, so they do not count.
[moto: no quotas]
"""

from typing import Any

from moto.core.exceptions import AWSError, JsonRESTError

from . import settings
from .dynamodb import table_status

ACM = "acm_quota"
DYNAMODB = "dynamodb_quota"


class DynamoDBLimitExceeded(JsonRESTError):
    def __init__(self, message: str):
        super().__init__("com.amazonaws.dynamodb.v20120810#LimitExceededException", message)


def _busy_tables(backend: Any) -> int:
    return sum(1 for t in list(backend.tables.values()) if table_status(t) in ("CREATING", "UPDATING"))


def install() -> None:
    from moto.acm.responses import AWSCertificateManagerResponse
    from moto.dynamodb.responses import DynamoHandler

    orig_request = AWSCertificateManagerResponse.request_certificate

    def request_certificate(self: AWSCertificateManagerResponse) -> Any:
        account = self.current_account
        if settings.strict(account, ACM):
            backend = self.acm_backend
            token = self._get_param("IdempotencyToken")
            repeated = token is not None and backend._get_arn_from_idempotency_token(token) in backend._certificates
            quota = settings.limit(account, "acm_certificates")
            if not repeated and len(backend._certificates) >= quota:
                raise AWSError(
                    f"Error: you have reached your limit of {quota} certificates in the last year.",
                    exception_type="LimitExceededException",
                )
        return orig_request(self)

    AWSCertificateManagerResponse.request_certificate = request_certificate

    def limited(method: str, counts_tables: bool) -> None:
        original = getattr(DynamoHandler, method)

        def guarded(self: DynamoHandler) -> Any:
            account = self.current_account
            if settings.strict(account, DYNAMODB):
                backend = self.dynamodb_backend
                with settings.LOCK:
                    tables = settings.limit(account, "dynamodb_tables")
                    if counts_tables and len(backend.tables) >= tables:
                        raise DynamoDBLimitExceeded(
                            f"Subscriber limit exceeded: Only {tables} tables can be created in "
                            f"this region for this account"
                        )
                    operations = settings.limit(account, "dynamodb_table_operations")
                    if _busy_tables(backend) >= operations:
                        raise DynamoDBLimitExceeded(
                            f"Subscriber limit exceeded: Only {operations} tables can be created, "
                            f"updated, or deleted simultaneously"
                        )
            return original(self)

        setattr(DynamoHandler, method, guarded)

    limited("create_table", counts_tables=True)
    limited("update_table", counts_tables=False)
    limited("delete_table", counts_tables=False)
