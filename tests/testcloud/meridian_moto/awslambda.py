"""Lambda: function states, update status, and AddPermission conflicts.

AWS behaviour reproduced (moto gap in brackets):
- A new function is State Pending (StateReasonCode Creating) for `lambda_create` seconds,
  then Active. [moto: Active at once]
- After UpdateFunctionCode / UpdateFunctionConfiguration, LastUpdateStatus is InProgress for
  `lambda_update` seconds, then Successful. [moto: Successful at once]
- While Pending or InProgress, UpdateFunctionCode / UpdateFunctionConfiguration fail with
  ResourceConflictException (409), with AWS's messages. [moto: accepted]
- AddPermission with a StatementId already in the policy is a ResourceConflictException.
  [moto: adds a second statement]
Also switched on by the launcher: the docker-free Lambda backend ({"lambda":{"use_docker":false}}).
"""

import json
import time
from typing import Any

from moto.awslambda.exceptions import LambdaClientError
from moto.awslambda.models import LambdaBackend, LambdaFunction

from . import settings


class ResourceConflictException(LambdaClientError):
    code = 409

    def __init__(self, message: str):
        super().__init__("ResourceConflictException", message)


def _guard(fn: LambdaFunction) -> None:
    now = time.time()
    if now < getattr(fn, "_mtc_active_at", 0.0):
        raise ResourceConflictException(
            "The operation cannot be performed at this time. "
            "The function is currently in the following state: Pending"
        )
    if now < getattr(fn, "_mtc_updated_at", 0.0):
        raise ResourceConflictException(
            "The operation cannot be performed at this time. "
            f"An update is in progress for resource: {fn.function_arn}"
        )


def install() -> None:
    orig_init = LambdaFunction.__init__

    def __init__(self: LambdaFunction, account_id: str, spec: dict, region: str, *args: Any, **kwargs: Any) -> None:
        orig_init(self, account_id, spec, region, *args, **kwargs)
        self._mtc_active_at = time.time() + settings.delay(account_id, "lambda_create")

    LambdaFunction.__init__ = __init__

    orig_config = LambdaFunction.get_configuration

    def get_configuration(self: LambdaFunction, on_create: bool = False) -> dict[str, Any]:
        config = orig_config(self, on_create)
        now = time.time()
        if now < getattr(self, "_mtc_active_at", 0.0):
            config["State"] = "Pending"
            config["StateReason"] = "The function is being created."
            config["StateReasonCode"] = "Creating"
            if not on_create:
                config["LastUpdateStatus"] = "InProgress"
        elif now < getattr(self, "_mtc_updated_at", 0.0):
            config["LastUpdateStatus"] = "InProgress"
            config["LastUpdateStatusReason"] = "The function is being updated."
        return config

    LambdaFunction.get_configuration = get_configuration

    def guarded(name: str) -> None:
        original = getattr(LambdaBackend, name)

        def wrapper(self: LambdaBackend, function_name: str, qualifier: Any, body: Any) -> Any:
            with settings.LOCK:
                fn = self.get_function(function_name, qualifier)
                _guard(fn)
                fn._mtc_updated_at = time.time() + settings.delay(self.account_id, "lambda_update")
            return original(self, function_name, qualifier, body)

        setattr(LambdaBackend, name, wrapper)

    guarded("update_function_code")
    guarded("update_function_configuration")

    orig_add_permission = LambdaBackend.add_permission

    def add_permission(self: LambdaBackend, function_name: str, qualifier: str, raw: str) -> Any:
        sid = json.loads(raw).get("StatementId")
        with settings.LOCK:
            fn = self.get_function(function_name, qualifier)
            if sid and any(s.get("Sid") == sid for s in fn.policy.statements):
                raise ResourceConflictException(
                    f"The statement id ({sid}) provided already exists. "
                    "Please provide a new statement id, or remove the existing statement."
                )
            return orig_add_permission(self, function_name, qualifier, raw)

    LambdaBackend.add_permission = add_permission
