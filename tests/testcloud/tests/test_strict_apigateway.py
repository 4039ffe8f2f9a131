"""Strict mode, API Gateway: stage propagation, AWS's duplicate errors, per-account rate limits,
the domain-name update lag; and duplicate resources (refused in every mode)."""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.exceptions import ClientError

from conftest import wait_until
from test_acm_apigateway import DOMAIN, issued_certificate, zone

REGION = "eu-west-1"


def err(e):
    return (
        e.value.response["Error"]["Code"],
        e.value.response["Error"]["Message"],
        e.value.response["ResponseMetadata"]["HTTPStatusCode"],
    )


def api_with_stage(apigw, stage="prod"):
    api = apigw.create_rest_api(name="a")["id"]
    root = apigw.get_resources(restApiId=api)["items"][0]["id"]
    apigw.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(restApiId=api, resourceId=root, httpMethod="GET", type="MOCK")
    deployment = apigw.create_deployment(restApiId=api)["id"]
    apigw.create_stage(restApiId=api, stageName=stage, deploymentId=deployment)
    return api, root


def domain(account, apigw):
    cert = issued_certificate(account, REGION, zone(account))
    return apigw.create_domain_name(
        domainName=DOMAIN, regionalCertificateArn=cert,
        endpointConfiguration={"types": ["REGIONAL"]})


def test_a_new_stage_is_an_invalid_stage_identifier_for_a_mapping_within_the_window(account):
    account.set_strict(["apigw_stage_propagation"])
    apigw = account.client("apigateway", REGION)
    domain(account, apigw)
    api, _ = api_with_stage(apigw)
    with pytest.raises(ClientError) as e:
        apigw.create_base_path_mapping(domainName=DOMAIN, restApiId=api, stage="prod")
    assert err(e) == ("BadRequestException", "Invalid stage identifier specified", 400)
    mapping = wait_until(lambda: _try(lambda: apigw.create_base_path_mapping(
        domainName=DOMAIN, restApiId=api, stage="prod")), timeout=5)
    assert mapping["stage"] == "prod"


def _try(call):
    try:
        return call()
    except ClientError as e:
        if e.response["Error"]["Code"] != "BadRequestException":
            raise
        return None


def test_lenient_accounts_map_a_new_stage_at_once(account):
    apigw = account.client("apigateway", REGION)
    domain(account, apigw)
    api, _ = api_with_stage(apigw)
    apigw.create_base_path_mapping(domainName=DOMAIN, restApiId=api, stage="prod")


def test_duplicates_get_aws_codes_and_messages(account):
    account.set_strict(["apigw_duplicate_errors"])
    apigw = account.client("apigateway", REGION)
    cert = domain(account, apigw)["regionalCertificateArn"]
    with pytest.raises(ClientError) as e:
        apigw.create_domain_name(domainName=DOMAIN, regionalCertificateArn=cert,
                                 endpointConfiguration={"types": ["REGIONAL"]})
    assert err(e) == ("BadRequestException", "The domain name you provided already exists.", 400)
    api, root = api_with_stage(apigw)
    with pytest.raises(ClientError) as e:
        apigw.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType="AWS_IAM")
    assert err(e) == ("ConflictException", "Method already exists for this resource", 409)
    assert apigw.get_method(restApiId=api, resourceId=root, httpMethod="GET")["authorizationType"] == "NONE"
    for base_path in ("", "v1"):
        apigw.create_base_path_mapping(domainName=DOMAIN, restApiId=api, stage="prod", basePath=base_path)
        with pytest.raises(ClientError) as e:
            apigw.create_base_path_mapping(domainName=DOMAIN, restApiId=api, stage="prod", basePath=base_path)
        assert err(e) == ("ConflictException", "Base path already exists for this domain name", 409)


def test_lenient_duplicates_keep_moto_answers(account):
    apigw = account.client("apigateway", REGION)
    cert = domain(account, apigw)["regionalCertificateArn"]
    with pytest.raises(ClientError) as e:
        apigw.create_domain_name(domainName=DOMAIN, regionalCertificateArn=cert,
                                 endpointConfiguration={"types": ["REGIONAL"]})
    assert err(e)[0] == "ConflictException"
    api, root = api_with_stage(apigw)
    apigw.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType="AWS_IAM")


def test_a_second_resource_with_the_same_parent_and_path_part_is_a_conflict(account):
    apigw = account.client("apigateway", REGION)
    api = apigw.create_rest_api(name="a")["id"]
    root = apigw.get_resources(restApiId=api)["items"][0]["id"]
    apigw.create_resource(restApiId=api, parentId=root, pathPart="object")
    with pytest.raises(ClientError) as e:
        apigw.create_resource(restApiId=api, parentId=root, pathPart="object")
    assert err(e) == ("ConflictException",
                      "Another resource with the same parent already has this name: object", 409)
    assert len(apigw.get_resources(restApiId=api)["items"]) == 2


def _throttled(call, times):
    """How many of `times` concurrent calls answered TooManyRequestsException (HTTP 429)."""

    def one(_):
        try:
            call()
            return 0
        except ClientError as e:
            assert (e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]) == \
                ("TooManyRequestsException", 429)
            return 1

    with ThreadPoolExecutor(times) as pool:
        return sum(pool.map(one, range(times)))


def test_get_resources_and_create_deployment_are_rate_limited_per_account_and_region(account, other_account):
    account.set_strict(["apigw_rate_limits"])
    apigw = account.client("apigateway", REGION)
    api = apigw.create_rest_api(name="a")["id"]
    assert _throttled(lambda: apigw.get_resources(restApiId=api), 16) >= 4
    # Another region has its own bucket; a lenient account has none.
    other_region = account.client("apigateway", "us-east-1")
    api2 = other_region.create_rest_api(name="b")["id"]
    assert _throttled(lambda: other_region.get_resources(restApiId=api2), 3) == 0
    lenient = other_account.client("apigateway", REGION)
    api3 = lenient.create_rest_api(name="c")["id"]
    assert _throttled(lambda: lenient.get_resources(restApiId=api3), 16) == 0
    # The bucket refills.
    time.sleep(1.0)
    apigw.get_resources(restApiId=api)
    api_root = other_region.get_resources(restApiId=api2)["items"][0]["id"]
    other_region.put_method(restApiId=api2, resourceId=api_root, httpMethod="GET", authorizationType="NONE")
    other_region.put_integration(restApiId=api2, resourceId=api_root, httpMethod="GET", type="MOCK")
    assert _throttled(lambda: other_region.create_deployment(restApiId=api2), 8) >= 2


def test_domain_name_calls_are_rate_limited(account):
    account.set_strict(["apigw_rate_limits"])
    apigw = account.client("apigateway", REGION)
    domain(account, apigw)
    assert _throttled(lambda: apigw.get_domain_name(domainName=DOMAIN), 16) >= 4


def test_get_domain_name_shows_the_old_values_for_a_while_after_an_update(account):
    account.set_strict(["apigw_domain_update_lag"])
    apigw = account.client("apigateway", REGION)
    first = domain(account, apigw)
    assert first.get("securityPolicy") != "TLS_1_2"
    updated = apigw.update_domain_name(domainName=DOMAIN, patchOperations=[
        {"op": "replace", "path": "/securityPolicy", "value": "TLS_1_2"}])
    assert updated["securityPolicy"] == "TLS_1_2"
    stale = apigw.get_domain_name(domainName=DOMAIN)
    assert stale.get("securityPolicy") == first.get("securityPolicy")
    assert stale["domainNameStatus"] == "AVAILABLE"
    fresh = wait_until(lambda: (d := apigw.get_domain_name(domainName=DOMAIN)).get("securityPolicy") == "TLS_1_2" and d,
                       timeout=5)
    assert fresh["securityPolicy"] == "TLS_1_2"
