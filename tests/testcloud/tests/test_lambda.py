"""Lambda: Pending -> Active, LastUpdateStatus InProgress -> Successful, conflicts."""

import io
import json
import zipfile

import pytest
from botocore.exceptions import ClientError

from conftest import wait_until


def zip_bytes(body: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("index.mjs", body)
    return buf.getvalue()


def make_function(account, name="fn"):
    iam = account.client("iam")
    role = iam.create_role(RoleName=name + "-role", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                "Principal": {"Service": "lambda.amazonaws.com"}}]}))
    iam.attach_role_policy(RoleName=name + "-role",
                           PolicyArn="arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
    lam = account.client("lambda")
    created = lam.create_function(FunctionName=name, Runtime="nodejs20.x", Handler="index.handler",
                                  Role=role["Role"]["Arn"], Code={"ZipFile": zip_bytes("v1")},
                                  Architectures=["arm64"])
    return lam, created


def config(lam, name="fn"):
    return lam.get_function(FunctionName=name)["Configuration"]


def code(e):
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


def test_pending_then_active(account):
    account.set_delays(lambda_create=0.8)
    lam, created = make_function(account)
    assert created["State"] == "Pending" and created["StateReasonCode"] == "Creating"
    assert config(lam)["State"] == "Pending"
    with pytest.raises(ClientError) as e:
        lam.update_function_configuration(FunctionName="fn", MemorySize=256)
    assert code(e) == ("ResourceConflictException", "The operation cannot be performed at this time. "
                       "The function is currently in the following state: Pending")
    lam.get_waiter("function_active_v2").wait(FunctionName="fn", WaiterConfig={"Delay": 1, "MaxAttempts": 5})
    c = config(lam)
    assert c["State"] == "Active" and c["LastUpdateStatus"] == "Successful"


def test_update_in_progress_then_successful(account):
    account.set_delays(lambda_update=0.8)
    lam, _ = make_function(account)
    resp = lam.update_function_code(FunctionName="fn", ZipFile=zip_bytes("v2"))
    assert resp["LastUpdateStatus"] == "InProgress"
    assert config(lam)["LastUpdateStatus"] == "InProgress"
    with pytest.raises(ClientError) as e:
        lam.update_function_configuration(FunctionName="fn", Environment={"Variables": {"A": "1"}})
    err = code(e)
    assert err[0] == "ResourceConflictException"
    assert err[1].startswith("The operation cannot be performed at this time. An update is in progress for resource: arn:aws:lambda:us-east-1:" + account.id)
    lam.get_waiter("function_updated_v2").wait(FunctionName="fn", WaiterConfig={"Delay": 1, "MaxAttempts": 5})
    assert config(lam)["LastUpdateStatus"] == "Successful"
    lam.update_function_configuration(FunctionName="fn", Environment={"Variables": {"A": "1"}})
    assert config(lam)["LastUpdateStatus"] == "InProgress"


def test_add_permission_duplicate_statement_id(account):
    lam, _ = make_function(account)
    kwargs = dict(FunctionName="fn", StatementId="apigw", Action="lambda:InvokeFunction",
                  Principal="apigateway.amazonaws.com",
                  SourceArn=f"arn:aws:execute-api:us-east-1:{account.id}:abc/*/*/*")
    lam.add_permission(**kwargs)
    with pytest.raises(ClientError) as e:
        lam.add_permission(**kwargs)
    assert code(e) == ("ResourceConflictException", "The statement id (apigw) provided already exists. "
                       "Please provide a new statement id, or remove the existing statement.")
    assert len(json.loads(lam.get_policy(FunctionName="fn")["Policy"])["Statement"]) == 1


def test_invoke_uses_docker_free_backend(account):
    lam, _ = make_function(account)
    out = lam.invoke(FunctionName="fn", Payload=b'{"hello": "world"}')
    assert out["StatusCode"] == 200 and "FunctionError" not in out
    assert json.loads(out["Payload"].read()) == {"hello": "world"}
