"""Account isolation by access key id.

moto 5.2.5 derives the account of a request in BaseResponse.get_current_account:
MOTO_ACCOUNT_ID (env) > header x-moto-account-id > moto.iam.models.get_account_id_from(access key).
That last function only knows keys created through IAM/STS in some account; any other key
maps to the default account 123456789012. Also, the key is parsed out of the Authorization
header with a regex that only accepts exactly 20 characters [A-Z0-9].

This patch makes a 12-digit access key id *be* the account id (as LocalStack and Floci do),
so each test can use its own account without resets: AWS_ACCESS_KEY_ID=111122223333.
Keys created through IAM keep working as before; any other key is the default account.
"""

import re

from moto.core.responses import BaseResponse
from moto.iam import models as iam_models

TWELVE_DIGITS = re.compile(r"^[0-9]{12}$")

# Same as moto's, plus a 12-digit alternative.
ACCESS_KEY_REGEX = re.compile(
    r"AWS.*(?P<access_key>(?<![A-Z0-9])(?:[A-Z0-9]{20}|[0-9]{12})(?![A-Z0-9]))[:/]"
)


def install() -> None:
    BaseResponse.access_key_regex = ACCESS_KEY_REGEX
    original = iam_models.get_account_id_from

    def get_account_id_from(access_key: str) -> str:
        if access_key and TWELVE_DIGITS.match(access_key):
            return access_key
        return original(access_key)

    iam_models.get_account_id_from = get_account_id_from
