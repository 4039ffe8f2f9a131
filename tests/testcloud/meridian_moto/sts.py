"""STS AssumeRole across the isolated accounts, honouring the role's trust policy.

AWS: AssumeRole answers credentials that act in the role's account, and only if the role exists
and its trust policy allows the caller (an Allow statement for sts:AssumeRole whose Principal
names the caller's account, its root, the caller's own ARN, or "*", with every Condition met,
such as "StringEquals": {"sts:ExternalId": "..."}; a matching Deny wins). Otherwise it refuses
with AccessDenied: "User: <caller> is not authorized to perform: sts:AssumeRole on resource:
<role>".
moto 5.2.5: any caller may assume any role ARN, existing or not, whatever its trust policy. The
credentials it creates already act in the role's account (moto records the temporary key in that
account's IAM backend, where `get_account_id_from` finds it), so only the refusal is added here.
What is still not checked: the caller's own identity policies (moto enforces no IAM policy),
condition operators other than StringEquals/StringLike on sts:ExternalId (a statement with any
other condition is treated as not matching, so the call is refused), and AWS's HTTP status 403
(the refusal is answered with 400, as moto does for every STS error).
"""

import fnmatch
import json
from urllib.parse import unquote

from moto.iam.models import iam_backends
from moto.sts.exceptions import STSClientError
from moto.sts.models import sts_backends
from moto.sts.responses import TokenResponse


class AccessDenied(STSClientError):
    def __init__(self, message: str):
        super().__init__("AccessDenied", message)


def caller_arn(account_id: str, access_key: str) -> str:
    """The principal ARN of the caller: its assumed role or IAM user, else the account's root."""
    assumed = sts_backends[account_id]["aws"].get_assumed_role_from_access_key(access_key)
    if assumed is not None:
        return assumed.role_arn
    user = iam_backends[account_id]["aws"].get_user_from_access_key_id(access_key)
    if user is not None:
        return user.arn
    return f"arn:aws:iam::{account_id}:root"


def _listed(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _principal_matches(principal, account_id: str, arn: str) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    for p in _listed(principal.get("AWS")):
        if p in ("*", account_id, f"arn:aws:iam::{account_id}:root", arn):
            return True
    return False


def _action_matches(action) -> bool:
    return any(a in ("*", "sts:*", "sts:AssumeRole") for a in _listed(action))


def _conditions_met(conditions, external_id) -> bool:
    for operator, tests in (conditions or {}).items():
        if operator not in ("StringEquals", "StringLike"):
            return False
        for key, wanted in tests.items():
            if key.lower() != "sts:externalid" or external_id is None:
                return False
            if operator == "StringEquals" and external_id not in _listed(wanted):
                return False
            if operator == "StringLike" and not any(
                fnmatch.fnmatchcase(external_id, w) for w in _listed(wanted)
            ):
                return False
    return True


def trusts(policy_document: str, account_id: str, arn: str, external_id) -> bool:
    """Whether a trust policy lets the caller (`account_id`, `arn`) assume the role."""
    try:
        doc = json.loads(unquote(policy_document))
    except ValueError:
        return False
    allowed = False
    for st in _listed(doc.get("Statement")):
        if not (
            _action_matches(st.get("Action"))
            and _principal_matches(st.get("Principal"), account_id, arn)
            and _conditions_met(st.get("Condition"), external_id)
        ):
            continue
        if st.get("Effect") == "Deny":
            return False
        if st.get("Effect") == "Allow":
            allowed = True
    return allowed


def check_assume_role(caller_account: str, access_key: str, role_arn: str, external_id) -> None:
    """Raises AccessDenied unless the role exists and trusts the caller."""
    arn = caller_arn(caller_account, access_key)
    refusal = AccessDenied(
        f"User: {arn} is not authorized to perform: sts:AssumeRole on resource: {role_arn}"
    )
    parts = (role_arn or "").split(":")
    if len(parts) < 6 or parts[2] != "iam":
        raise refusal
    try:
        role = iam_backends[parts[4]]["aws"].get_role_by_arn(role_arn)
    except Exception:
        raise refusal from None
    if not trusts(role.assume_role_policy_document, caller_account, arn, external_id):
        raise refusal


def install() -> None:
    original = TokenResponse.assume_role

    def assume_role(self: TokenResponse):
        check_assume_role(
            self.current_account,
            self.get_access_key(),
            self._get_param("RoleArn"),
            self._get_param("ExternalId"),
        )
        return original(self)

    TokenResponse.assume_role = assume_role
