"""Strict mode: AWS's tag rules, with each service's own error."""

import json

import pytest
from botocore.exceptions import ClientError

from test_lambda import zip_bytes

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "lambda.amazonaws.com"}}]})
URN = "urn:meridian:dev::aws:iam/role:Role::api (v2)"  # parentheses are outside the rules
LONG = "x" * 257
GOOD = "urn:meridian:dev::aws:iam/role:Role::api-v2 é 1"


def code_of(call):
    with pytest.raises(ClientError) as e:
        call()
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


@pytest.fixture
def strict(account):
    account.set_strict(["tag_rules"])
    return account


@pytest.mark.parametrize("value", [URN, LONG])
def test_iam_rejects_a_bad_tag_value_with_validation_error(strict, value):
    iam = strict.client("iam")
    code, message = code_of(lambda: iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST,
                                                   Tags=[{"Key": "meridian:urn", "Value": value}]))
    assert code == "ValidationError" and "tags.1.member.value" in message
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST, Tags=[{"Key": "meridian:urn", "Value": GOOD}])
    assert code_of(lambda: iam.tag_role(RoleName="r", Tags=[{"Key": "k", "Value": value}]))[0] == "ValidationError"


def test_lambda_rejects_a_bad_tag_with_invalid_parameter_value(strict):
    iam, lam = strict.client("iam"), strict.client("lambda")
    role = iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]

    def create(tags):
        return lam.create_function(FunctionName="fn", Runtime="nodejs20.x", Handler="index.handler",
                                   Role=role, Code={"ZipFile": zip_bytes("v1")}, Tags=tags)

    assert code_of(lambda: create({"meridian:urn": URN}))[0] == "InvalidParameterValueException"
    arn = create({"meridian:urn": GOOD})["FunctionArn"]
    assert code_of(lambda: lam.tag_resource(Resource=arn, Tags={"k" * 129: "v"}))[0] == "InvalidParameterValueException"


def test_acm_rejects_a_bad_tag_with_validation_exception(strict):
    acm = strict.client("acm")
    code, _ = code_of(lambda: acm.request_certificate(DomainName="a.example.com", ValidationMethod="DNS",
                                                     Tags=[{"Key": "meridian:urn", "Value": URN}]))
    assert code == "ValidationException"
    arn = acm.request_certificate(DomainName="a.example.com", ValidationMethod="DNS",
                                  Tags=[{"Key": "meridian:urn", "Value": GOOD}])["CertificateArn"]
    assert code_of(lambda: acm.add_tags_to_certificate(CertificateArn=arn, Tags=[{"Key": "k", "Value": LONG}]))[0] \
        == "ValidationException"


def test_logs_rejects_a_bad_tag_with_invalid_parameter_exception(strict):
    logs = strict.client("logs")
    assert code_of(lambda: logs.create_log_group(logGroupName="g", tags={"meridian:urn": URN}))[0] \
        == "InvalidParameterException"
    logs.create_log_group(logGroupName="g", tags={"meridian:urn": GOOD})
    assert code_of(lambda: logs.tag_log_group(logGroupName="g", tags={"k": "a;b"}))[0] == "InvalidParameterException"


def test_dynamodb_rejects_a_bad_tag_with_validation_exception(strict):
    ddb = strict.client("dynamodb")

    def create(value):
        return ddb.create_table(TableName="t", BillingMode="PAY_PER_REQUEST",
                                AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                                Tags=[{"Key": "meridian:urn", "Value": value}])

    assert code_of(lambda: create(URN))[0] == "ValidationException"
    arn = create(GOOD)["TableDescription"]["TableArn"]
    assert code_of(lambda: ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "k", "Value": "a#b"}]))[0] \
        == "ValidationException"


def test_apigateway_rejects_a_bad_tag_with_bad_request(strict):
    apigw = strict.client("apigateway")
    assert code_of(lambda: apigw.create_rest_api(name="api", tags={"meridian:urn": URN}))[0] == "BadRequestException"
    api = apigw.create_rest_api(name="api", tags={"meridian:urn": GOOD})
    assert api["tags"]["meridian:urn"] == GOOD


def test_tags_outside_the_rules_pass_when_the_quirk_is_off(account):
    logs = account.client("logs")
    logs.create_log_group(logGroupName="g", tags={"meridian:urn": URN})
    assert logs.list_tags_log_group(logGroupName="g")["tags"]["meridian:urn"] == URN
