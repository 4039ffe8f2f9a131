"""Strict mode: IAM, Lambda and Logs eventual-consistency windows after a create."""

import json
import time

import pytest
from botocore.exceptions import ClientError

from conftest import wait_until
from test_lambda import zip_bytes

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "lambda.amazonaws.com"}}]})


def error(e):
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


def create_function(lam, role_arn, name="fn", **extra):
    return lam.create_function(FunctionName=name, Runtime="nodejs20.x", Handler="index.handler",
                               Role=role_arn, Code={"ZipFile": zip_bytes("v1")}, **extra)


def test_get_role_is_not_found_then_shows_the_unique_id_once_then_the_arn(account):
    account.set_strict(["iam_read_after_create"])
    iam = account.client("iam")
    created = iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)["Role"]
    with pytest.raises(ClientError) as e:
        iam.get_role(RoleName="r")
    assert error(e) == ("NoSuchEntity", "The role with name r cannot be found.")
    first = wait_until(lambda: _get_role_or_none(iam, "r"), timeout=10)
    assert first["Arn"] == created["RoleId"] and first["Arn"].startswith("AROA")
    assert iam.get_role(RoleName="r")["Role"]["Arn"] == created["Arn"]


def _get_role_or_none(iam, name):
    try:
        return iam.get_role(RoleName=name)["Role"]
    except ClientError as e:
        assert e.response["Error"]["Code"] == "NoSuchEntity"
        return None


def test_get_role_is_immediate_when_the_quirk_is_off(account):
    iam = account.client("iam")
    created = iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)["Role"]
    assert iam.get_role(RoleName="r")["Role"]["Arn"] == created["Arn"]


def test_create_function_with_a_new_role_cannot_assume_it_until_the_window_ends(account):
    account.set_strict(["lambda_role_propagation"])
    iam, lam = account.client("iam"), account.client("lambda")
    role = iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    with pytest.raises(ClientError) as e:
        create_function(lam, role)
    assert error(e) == ("InvalidParameterValueException",
                        "The role defined for the function cannot be assumed by Lambda.")
    env = {"Variables": {"TABLE": "t"}}
    with pytest.raises(ClientError) as e:
        create_function(lam, role, Environment=env)
    code, message = error(e)
    assert code == "InvalidParameterValueException"
    assert message.startswith("Lambda was unable to configure access to your environment variables "
                              "because the KMS key is invalid for CreateGrant.")
    assert message.endswith(f"ARN does not refer to a valid principal: {role}")
    time.sleep(2.1)
    assert create_function(lam, role, Environment=env)["FunctionName"] == "fn"


def test_get_function_is_not_found_within_the_window_after_create(account):
    iam, lam = account.client("iam"), account.client("lambda")
    role = iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    account.set_strict(["lambda_read_after_create"])
    arn = create_function(lam, role)["FunctionArn"]
    with pytest.raises(ClientError) as e:
        lam.get_function(FunctionName="fn")
    assert error(e) == ("ResourceNotFoundException", f"Function not found: {arn}")
    found = wait_until(lambda: _get_function_or_none(lam, "fn"), timeout=10)
    assert found["Configuration"]["FunctionArn"] == arn


def _get_function_or_none(lam, name):
    try:
        return lam.get_function(FunctionName=name)
    except ClientError as e:
        assert e.response["Error"]["Code"] == "ResourceNotFoundException"
        return None


def test_describe_log_groups_leaves_out_a_new_group_within_the_window(account):
    account.set_strict(["logs_read_after_create"])
    logs = account.client("logs")
    logs.create_log_group(logGroupName="/meridian/g")

    def names():
        return [g["logGroupName"] for g in logs.describe_log_groups(logGroupNamePrefix="/meridian/")["logGroups"]]

    assert names() == []
    assert wait_until(names, timeout=10) == ["/meridian/g"]
