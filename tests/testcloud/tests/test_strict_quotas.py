"""Strict mode: the ACM certificate quota and DynamoDB's table quotas."""

import pytest
from botocore.exceptions import ClientError


def error(call):
    with pytest.raises(ClientError) as e:
        call()
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


def test_acm_request_beyond_the_quota_is_limit_exceeded_but_a_repeated_token_is_not(account):
    account.set_strict(["acm_quota"])
    account.set_delays(acm_certificates=2)
    acm = account.client("acm")
    first = acm.request_certificate(DomainName="a.example.com", ValidationMethod="DNS", IdempotencyToken="t1")
    acm.request_certificate(DomainName="b.example.com", ValidationMethod="DNS")
    code, message = error(lambda: acm.request_certificate(DomainName="c.example.com", ValidationMethod="DNS"))
    assert code == "LimitExceededException"
    assert message == "Error: you have reached your limit of 2 certificates in the last year."
    again = acm.request_certificate(DomainName="a.example.com", ValidationMethod="DNS", IdempotencyToken="t1")
    assert again["CertificateArn"] == first["CertificateArn"]
    # Another region has its own quota.
    account.client("acm", "eu-west-1").request_certificate(DomainName="c.example.com", ValidationMethod="DNS")


def create_table(ddb, name):
    return ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])


def test_dynamodb_create_table_beyond_the_table_quota_is_limit_exceeded(account):
    account.set_strict(["dynamodb_quota"])
    account.set_delays(dynamodb_tables=2)
    ddb = account.client("dynamodb")
    create_table(ddb, "a")
    create_table(ddb, "b")
    code, message = error(lambda: create_table(ddb, "c"))
    assert code == "LimitExceededException"
    assert message.startswith("Subscriber limit exceeded") and "simultaneously" not in message
    ddb.delete_table(TableName="a")
    create_table(ddb, "c")


def test_dynamodb_too_many_simultaneous_table_operations_is_limit_exceeded_until_one_finishes(account):
    account.set_strict(["dynamodb_quota"])
    account.set_delays(dynamodb_table_operations=1, table_create=3.0)
    ddb = account.client("dynamodb")
    create_table(ddb, "a")
    code, message = error(lambda: create_table(ddb, "b"))
    assert code == "LimitExceededException"
    assert message == "Subscriber limit exceeded: Only 1 tables can be created, updated, or deleted simultaneously"
    ddb.get_waiter("table_exists").wait(TableName="a", WaiterConfig={"Delay": 0.5, "MaxAttempts": 30})
    assert create_table(ddb, "b")["TableDescription"]["TableName"] == "b"


def test_no_quota_when_the_quirk_is_off(account):
    account.set_delays(acm_certificates=1)
    acm = account.client("acm")
    for domain in ("a.example.com", "b.example.com"):
        acm.request_certificate(DomainName=domain, ValidationMethod="DNS")
