"""STS AssumeRole across accounts: the credentials act in the role's account, and the role's
trust policy (principal, external id) decides who may assume it."""

import json

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError


def trust(principal, external_id=None):
    statement = {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}
    if external_id:
        statement["Condition"] = {"StringEquals": {"sts:ExternalId": external_id}}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def make_role(account, name, policy):
    return account.client("iam").create_role(RoleName=name, AssumeRolePolicyDocument=policy)["Role"]["Arn"]


def assumed_client(endpoint, creds, service):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )


def refusal(call) -> str:
    with pytest.raises(ClientError) as e:
        call()
    assert e.value.response["Error"]["Code"] == "AccessDenied"
    return e.value.response["Error"]["Message"]


def test_assumed_credentials_act_in_the_roles_account(account, other_account, endpoint):
    arn = make_role(other_account, "dns", trust(account.id))
    creds = account.client("sts").assume_role(RoleArn=arn, RoleSessionName="s1")["Credentials"]
    sts = assumed_client(endpoint, creds, "sts")
    who = sts.get_caller_identity()
    assert who["Account"] == other_account.id
    assert who["Arn"].endswith(":assumed-role/dns/s1")
    route53 = assumed_client(endpoint, creds, "route53")
    route53.create_hosted_zone(Name="example.com", CallerReference="r1")
    names = [z["Name"] for z in other_account.client("route53").list_hosted_zones()["HostedZones"]]
    assert names == ["example.com."]
    assert account.client("route53").list_hosted_zones()["HostedZones"] == []


def test_the_account_root_arn_and_a_wildcard_are_trusted_principals(account, other_account):
    for name, principal in (("by-root", f"arn:aws:iam::{account.id}:root"), ("any", "*")):
        arn = make_role(other_account, name, trust(principal))
        account.client("sts").assume_role(RoleArn=arn, RoleSessionName="s1")


def test_a_role_that_does_not_trust_the_caller_refuses(account, other_account, endpoint):
    stranger = "999999999999"
    arn = make_role(other_account, "dns", trust(stranger))
    message = refusal(lambda: account.client("sts").assume_role(RoleArn=arn, RoleSessionName="s1"))
    assert f"arn:aws:iam::{account.id}:root is not authorized" in message
    assert f"sts:AssumeRole on resource: {arn}" in message


def test_a_role_that_does_not_exist_refuses(account, other_account):
    arn = f"arn:aws:iam::{other_account.id}:role/nobody"
    refusal(lambda: account.client("sts").assume_role(RoleArn=arn, RoleSessionName="s1"))


def test_the_external_id_must_match_when_the_trust_policy_asks_for_one(account, other_account):
    arn = make_role(other_account, "dns", trust(account.id, external_id="ext-42"))
    sts = account.client("sts")
    refusal(lambda: sts.assume_role(RoleArn=arn, RoleSessionName="s1"))
    refusal(lambda: sts.assume_role(RoleArn=arn, RoleSessionName="s1", ExternalId="wrong"))
    sts.assume_role(RoleArn=arn, RoleSessionName="s1", ExternalId="ext-42")


def test_a_deny_statement_wins(account, other_account):
    doc = json.loads(trust(account.id))
    doc["Statement"].append(
        {"Effect": "Deny", "Principal": {"AWS": account.id}, "Action": "sts:AssumeRole"}
    )
    arn = make_role(other_account, "dns", json.dumps(doc))
    refusal(lambda: account.client("sts").assume_role(RoleArn=arn, RoleSessionName="s1"))


def test_a_role_trusted_by_an_assumed_roles_arn_accepts_that_role(account, other_account, endpoint):
    # A chain: account -> role "deployer" in account -> role "dns" in other_account, which
    # trusts only the deployer role's ARN.
    deployer = make_role(account, "deployer", trust(account.id))
    dns = make_role(other_account, "dns", trust(deployer))
    refusal(lambda: account.client("sts").assume_role(RoleArn=dns, RoleSessionName="s1"))
    creds = account.client("sts").assume_role(RoleArn=deployer, RoleSessionName="s1")["Credentials"]
    assumed_client(endpoint, creds, "sts").assume_role(RoleArn=dns, RoleSessionName="s2")
