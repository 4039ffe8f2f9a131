"""Strict mode, IAM: a new role is not readable everywhere at once (quirk `iam_read_after_create`).

AWS behaviour reproduced: IAM is eventually consistent. A GetRole right after CreateRole can
answer NoSuchEntity, and an early read can carry the role's unique id (RoleId, AROA...) where
the ARN belongs (the form a policy shows for a principal IAM cannot resolve yet).
Here, while the quirk is on for the account: GetRole within the window after CreateRole answers
NoSuchEntity; the first GetRole after the window answers the RoleId in the Arn field, once; later
reads are normal. The window is `window(account, "iam_read_after_create")` seconds.
Every role also remembers when it was created (`created_at`), which the Lambda quirk
`lambda_role_propagation` keys its window on.
[moto: a role is readable, with its ARN, at once]
"""

import copy
import time
from typing import Any

from moto.iam.exceptions import NotFoundException
from moto.iam.models import IAMBackend, Role
from moto.iam.responses import IamResponse

from . import settings

QUIRK = "iam_read_after_create"


def created_at(role: Role) -> float:
    """When the role was created (0 for roles made before the patch, e.g. service-linked)."""
    return getattr(role, "_mtc_created_at", 0.0)


def _unique_id_in_arn(role: Role) -> Role:
    """A copy of `role` whose Arn reads as its unique id (the serializer reads `role.arn`)."""
    stale_class = type("StaleRole", (type(role),), {"arn": property(lambda self: self.id)})
    stale = copy.copy(role)
    stale.__class__ = stale_class
    return stale


def install() -> None:
    orig_create = IAMBackend.create_role

    def create_role(self: IAMBackend, *args: Any, **kwargs: Any) -> Role:
        role = orig_create(self, *args, **kwargs)
        role._mtc_created_at = time.time()
        # The unique id comes once, only after a window of the strict mode.
        role._mtc_stale_arn_pending = settings.strict(self.account_id, QUIRK)
        return role

    IAMBackend.create_role = create_role

    orig_get_role = IamResponse.get_role

    def get_role(self: IamResponse) -> Any:
        account = self.current_account
        if not settings.strict(account, QUIRK):
            return orig_get_role(self)
        name = self._get_param("RoleName")
        with settings.LOCK:
            role = self.backend.get_role(name)
            if time.time() < created_at(role) + settings.window(account, QUIRK):
                raise NotFoundException(f"The role with name {name} cannot be found.")
            if getattr(role, "_mtc_stale_arn_pending", False):
                role._mtc_stale_arn_pending = False
                from moto.core.responses import ActionResult

                return ActionResult({"Role": _unique_id_in_arn(role)})
        return orig_get_role(self)

    IamResponse.get_role = get_role
