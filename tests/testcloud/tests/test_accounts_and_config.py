"""Account isolation by 12-digit access key id, managed IAM policies, and the config endpoint."""

import json
import urllib.error
import urllib.request

import pytest


def test_twelve_digit_access_key_is_the_account(account, other_account):
    for acct in (account, other_account):
        assert acct.client("sts").get_caller_identity()["Account"] == acct.id
    account.client("dynamodb").create_table(
        TableName="same-name",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    arn = account.client("dynamodb").describe_table(TableName="same-name")["Table"]["TableArn"]
    assert f":{account.id}:table/" in arn
    assert other_account.client("dynamodb").list_tables()["TableNames"] == []


def test_other_keys_use_the_default_account(endpoint):
    import boto3

    sts = boto3.client(
        "sts", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id="AKIAIOSFODNN7EXAMPLE", aws_secret_access_key="x",
    )
    assert sts.get_caller_identity()["Account"] == "123456789012"


def test_lambda_basic_execution_role_attaches_without_loading_all_policies(account):
    iam = account.client("iam")
    arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    iam.create_role(RoleName="fn", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}))
    iam.attach_role_policy(RoleName="fn", PolicyArn=arn)
    attached = iam.list_attached_role_policies(RoleName="fn")["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [arn]
    assert iam.get_policy(PolicyArn=arn)["Policy"]["PolicyName"] == "AWSLambdaBasicExecutionRole"
    # Only a few managed policies exist, not all ~1,300.
    assert len(iam.list_policies(Scope="AWS")["Policies"]) < 20


def _post(endpoint, body):
    req = urllib.request.Request(
        endpoint + "/meridian-testcloud/config", data=json.dumps(body).encode(), method="POST"
    )
    with urllib.request.urlopen(req, timeout=5) as r:
        return json.load(r)


def test_config_endpoint_per_account_and_validation(endpoint, account, other_account):
    got = account.set_delays(table_create=1.5)
    assert got["delays"]["table_create"] == 1.5
    with urllib.request.urlopen(endpoint + "/meridian-testcloud/config", timeout=5) as r:
        snapshot = json.load(r)
    assert snapshot["accounts"][account.id] == {"table_create": 1.5}
    assert other_account.id not in snapshot["accounts"]
    assert snapshot["global"]["table_create"] == 0.0
    for bad in ({"delays": {"no_such_delay": 1}}, {"delays": {"table_create": -1}},
                {"account_id": "12", "delays": {}}):
        with pytest.raises(urllib.error.HTTPError) as err:
            _post(endpoint, bad)
        assert err.value.code == 400
    cleared = _post(endpoint, {"account_id": account.id, "clear": True})
    assert cleared["delays"]["table_create"] == 0.0


def test_strict_mode_is_switched_per_account_and_validated(endpoint, account, other_account):
    from meridian_moto import settings

    assert account.set_strict(True)["strict"] == sorted(settings.QUIRKS)
    assert other_account.set_strict(["tag_rules"])["strict"] == ["tag_rules"]
    with urllib.request.urlopen(endpoint + "/meridian-testcloud/config", timeout=5) as r:
        snapshot = json.load(r)["strict"]
    assert snapshot["accounts"][account.id] == sorted(settings.QUIRKS)
    assert snapshot["accounts"][other_account.id] == ["tag_rules"]
    assert set(snapshot["quirks"]) == set(settings.QUIRKS)
    with pytest.raises(urllib.error.HTTPError) as err:
        _post(endpoint, {"account_id": account.id, "strict": ["no_such_quirk"]})
    assert err.value.code == 400
    assert b"no_such_quirk" in err.value.read()
    # A rejected switch changes nothing.
    assert _post(endpoint, {"account_id": account.id})["strict"] == sorted(settings.QUIRKS)
    assert account.set_strict(False)["strict"] == []


def test_strict_window_is_zero_when_off_and_the_delay_when_set(monkeypatch):
    from meridian_moto import settings

    monkeypatch.setenv("MERIDIAN_TESTCLOUD_STRICT_WINDOW", "1.5")
    settings.set_strict("999900000001", ["iam_read_after_create"])
    settings.update("999900000001", {"route53_change": 0.25})
    assert settings.window("999900000001", "iam_read_after_create") == 1.5
    assert settings.window("999900000001", "iam_read_after_create", "route53_change") == 0.25
    assert settings.window("999900000001", "tag_rules") == 0.0
