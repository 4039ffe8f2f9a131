"""A few AWS managed IAM policies in every account, without MOTO_IAM_LOAD_MANAGED_POLICIES.

AWS: arn:aws:iam::aws:policy/... managed policies exist in every account.
moto: only with MOTO_IAM_LOAD_MANAGED_POLICIES=true, which loads ~1,300 policies into each
account and makes every reset cost seconds. Without it, AttachRolePolicy of e.g.
AWSLambdaBasicExecutionRole fails with NoSuchEntity.
Here: just the policies named in MERIDIAN_TESTCLOUD_MANAGED_POLICIES (comma-separated names,
default below) are created, from moto's own copy of their documents, in every account.
"""

import json
import os

from moto.iam.models import AWSManagedPolicy, IAMBackend
from moto.settings import load_iam_aws_managed_policies

DEFAULT_POLICIES = (
    "AWSLambdaBasicExecutionRole",
    "AWSLambdaDynamoDBExecutionRole",
    "AWSLambdaVPCAccessExecutionRole",
    "AWSXRayDaemonWriteAccess",
    "AmazonAPIGatewayPushToCloudWatchLogs",
)

_selected: dict[str, dict] = {}


def _load_selected() -> None:
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    raw = os.environ.get("MERIDIAN_TESTCLOUD_MANAGED_POLICIES")
    names = [n.strip() for n in raw.split(",") if n.strip()] if raw else list(DEFAULT_POLICIES)
    data = json.loads(aws_managed_policies_data)
    missing = [n for n in names if n not in data]
    if missing:
        raise SystemExit(f"meridian_moto: unknown AWS managed policies: {missing}")
    _selected.update({n: data[n] for n in names})


def install() -> None:
    _load_selected()
    original = IAMBackend._init_aws_policies

    def _init_aws_policies(self):  # type: ignore[no-untyped-def]
        if load_iam_aws_managed_policies():
            return original(self)
        return [
            AWSManagedPolicy.from_data(name, self.account_id, self.region_name, d)
            for name, d in _selected.items()
        ]

    IAMBackend._init_aws_policies = _init_aws_policies
