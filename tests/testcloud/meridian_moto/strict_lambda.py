"""Strict mode, Lambda: a new role is not assumable at once, a new function not readable at once.

AWS behaviour reproduced, each while its quirk is on for the account:
- `lambda_role_propagation`: CreateFunction whose execution role was created less than
  `window(account, "lambda_role_propagation")` seconds ago fails with
  InvalidParameterValueException "The role defined for the function cannot be assumed by
  Lambda." or, when the function has environment variables (Lambda then makes a KMS grant for
  the role), "Lambda was unable to configure access to your environment variables because the
  KMS key is invalid for CreateGrant. ... ARN does not refer to a valid principal: <role ARN>".
  Both are IAM propagation (terraform-provider-aws retries them).
- `lambda_read_after_create`: GetFunction within the window after CreateFunction answers
  ResourceNotFoundException (Function not found).
[moto: a function can use a role the moment it exists, and is readable at once]
"""

import time
from typing import Any

from moto.awslambda.exceptions import InvalidParameterValueException, UnknownFunctionException
from moto.awslambda.models import LambdaBackend
from moto.awslambda.responses import LambdaResponse
from moto.iam.models import iam_backends

from . import settings
from .strict_iam import created_at

ROLE_QUIRK = "lambda_role_propagation"
READ_QUIRK = "lambda_read_after_create"

CANNOT_ASSUME = "The role defined for the function cannot be assumed by Lambda."
KMS_CREATE_GRANT = (
    "Lambda was unable to configure access to your environment variables because the KMS key is "
    "invalid for CreateGrant. Please check your KMS key settings. KMS Exception: "
    "InvalidArnException KMS Message: ARN does not refer to a valid principal: {role}"
)


def _check_role_propagated(backend: LambdaBackend, spec: dict) -> None:
    """Raise Lambda's propagation error if the function's role is younger than the window."""
    role_arn = spec.get("Role") or ""
    window = settings.window(backend.account_id, ROLE_QUIRK)
    if not window:
        return
    try:
        role = iam_backends[backend.account_id][backend.partition].get_role_by_arn(role_arn)
    except Exception:
        return  # moto's own check answers for a role that does not exist
    if time.time() >= created_at(role) + window:
        return
    if (spec.get("Environment") or {}).get("Variables"):
        raise InvalidParameterValueException(KMS_CREATE_GRANT.format(role=role_arn))
    raise InvalidParameterValueException(CANNOT_ASSUME)


def install() -> None:
    orig_create = LambdaBackend.create_function

    def create_function(self: LambdaBackend, spec: dict[str, Any]) -> Any:
        _check_role_propagated(self, spec)
        fn = orig_create(self, spec)
        latest = self.get_function(spec["FunctionName"], None)
        latest._mtc_created_at = time.time()
        return fn

    LambdaBackend.create_function = create_function

    orig_get = LambdaResponse.get_function

    def get_function(self: LambdaResponse) -> Any:
        if settings.strict(self.current_account, READ_QUIRK):
            from urllib.parse import unquote

            name = unquote(self.path.rsplit("/", 1)[-1])
            fn = self.backend.get_function(name, self._get_param("Qualifier", None))
            created = getattr(fn, "_mtc_created_at", 0.0)
            if time.time() < created + settings.window(self.current_account, READ_QUIRK):
                raise UnknownFunctionException(fn.function_arn)
        return orig_get(self)

    LambdaResponse.get_function = get_function
