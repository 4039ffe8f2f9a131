"""ACM DNS validation against Route 53, and API Gateway custom domain names."""

import re
import time

import pytest
from botocore.exceptions import ClientError

from conftest import wait_until

DOMAIN = "api.example.com"


def zone(account, name="example.com"):
    r53 = account.client("route53")
    return r53.create_hosted_zone(Name=name, CallerReference=f"{name}-{time.time_ns()}")["HostedZone"]["Id"]


def request(account, region, domain=DOMAIN, sans=None):
    acm = account.client("acm", region)
    arn = acm.request_certificate(DomainName=domain, ValidationMethod="DNS",
                                  SubjectAlternativeNames=sans or [domain])["CertificateArn"]
    return acm, arn


def cert(acm, arn):
    return acm.describe_certificate(CertificateArn=arn)["Certificate"]


def record_of(c):
    return c["DomainValidationOptions"][0]["ResourceRecord"]


def publish(account, zone_id, record):
    account.client("route53").change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [{
        "Action": "UPSERT", "ResourceRecordSet": {
            "Name": record["Name"], "Type": "CNAME", "TTL": 300,
            "ResourceRecords": [{"Value": record["Value"]}]}}]})


def issued_certificate(account, region, zone_id):
    acm, arn = request(account, region)
    publish(account, zone_id, record_of(cert(acm, arn)))
    assert cert(acm, arn)["Status"] == "ISSUED"
    return arn


def test_validation_record_depends_on_domain_and_account_not_region(account, other_account):
    a1, arn1 = request(account, "us-east-1")
    a2, arn2 = request(account, "eu-west-1")
    rec1, rec2 = record_of(cert(a1, arn1)), record_of(cert(a2, arn2))
    assert rec1 == rec2
    assert re.fullmatch(r"_[0-9a-f]{32}\.api\.example\.com\.", rec1["Name"])
    assert re.fullmatch(r"_[0-9a-f]{32}\.[a-z]{10}\.acm-validations\.aws\.", rec1["Value"])
    assert rec1["Type"] == "CNAME"
    o, arn3 = request(other_account, "us-east-1")
    assert record_of(cert(o, arn3)) != rec1
    a3, arn4 = request(account, "us-east-1", domain="www.example.com")
    assert record_of(cert(a3, arn4))["Name"] != rec1["Name"]
    # A wildcard SAN shares the apex's record.
    a4, arn5 = request(account, "us-east-1", sans=[DOMAIN, "*." + DOMAIN])
    recs = {o["DomainName"]: o["ResourceRecord"] for o in cert(a4, arn5)["DomainValidationOptions"]}
    assert recs[DOMAIN] == recs["*." + DOMAIN] == rec1


def test_issued_only_once_the_cname_exists_then_after_delay(account):
    account.set_delays(acm_issue=1.0)
    zone_id = zone(account)
    acm, arn = request(account, "us-east-1")
    c = cert(acm, arn)
    assert c["Status"] == "PENDING_VALIDATION"
    assert c["DomainValidationOptions"][0]["ValidationStatus"] == "PENDING_VALIDATION"
    time.sleep(0.3)
    assert cert(acm, arn)["Status"] == "PENDING_VALIDATION"  # no record, no issuance
    # A record with the wrong value does not validate.
    rec = record_of(c)
    publish(account, zone_id, {"Name": rec["Name"], "Value": "_wrong.acm-validations.aws."})
    time.sleep(1.2)
    assert cert(acm, arn)["Status"] == "PENDING_VALIDATION"
    publish(account, zone_id, rec)
    assert cert(acm, arn)["Status"] == "PENDING_VALIDATION"  # within acm_issue
    c = wait_until(lambda: (c := cert(acm, arn))["Status"] == "ISSUED" and c, timeout=3)
    assert c["DomainValidationOptions"][0]["ValidationStatus"] == "SUCCESS"
    listed = acm.list_certificates(CertificateStatuses=["ISSUED"])["CertificateSummaryList"]
    assert arn in [s["CertificateArn"] for s in listed]


def test_record_in_another_accounts_zone_does_not_validate(account, other_account):
    acm, arn = request(account, "us-east-1")
    publish(other_account, zone(other_account), record_of(cert(acm, arn)))
    assert cert(acm, arn)["Status"] == "PENDING_VALIDATION"


def test_resource_record_appears_after_delay(account):
    account.set_delays(acm_record=0.8)
    acm, arn = request(account, "us-east-1")
    assert "ResourceRecord" not in cert(acm, arn)["DomainValidationOptions"][0]
    wait_until(lambda: "ResourceRecord" in cert(acm, arn)["DomainValidationOptions"][0], timeout=3)


def test_regional_domain_name_needs_issued_certificate_and_is_unique(account):
    zone_id = zone(account)
    apigw = account.client("apigateway", "eu-west-1")
    regional = {"types": ["REGIONAL"]}
    acm, pending = request(account, "eu-west-1", domain="pending.example.com")
    with pytest.raises(ClientError) as e:
        apigw.create_domain_name(domainName=DOMAIN, regionalCertificateArn=pending, endpointConfiguration=regional)
    assert e.value.response["Error"]["Code"] == "BadRequestException"
    other_region = issued_certificate(account, "us-east-1", zone_id)
    with pytest.raises(ClientError) as e:
        apigw.create_domain_name(domainName=DOMAIN, regionalCertificateArn=other_region, endpointConfiguration=regional)
    assert e.value.response["Error"]["Code"] == "BadRequestException"
    arn = issued_certificate(account, "eu-west-1", zone_id)
    d = apigw.create_domain_name(domainName=DOMAIN, regionalCertificateArn=arn,
                                 endpointConfiguration=regional, securityPolicy="TLS_1_2")
    assert d["regionalHostedZoneId"] == "ZLY8HYME6SFDD"
    assert d["domainNameStatus"] == "AVAILABLE"
    with pytest.raises(ClientError) as e:
        apigw.create_domain_name(domainName=DOMAIN, regionalCertificateArn=arn, endpointConfiguration=regional)
    assert e.value.response["Error"]["Code"] == "ConflictException"
    assert apigw.get_domain_name(domainName=DOMAIN)["regionalDomainName"] == d["regionalDomainName"]
    # The same name in another region is fine, with that region's zone id.
    us = account.client("apigateway", "us-east-1").create_domain_name(
        domainName=DOMAIN, regionalCertificateArn=other_region, endpointConfiguration=regional)
    assert us["regionalHostedZoneId"] == "Z1UJRXOUMOOFQ8"
    # A certificate in use cannot be deleted.
    with pytest.raises(ClientError) as e:
        acm.delete_certificate(CertificateArn=arn)
    assert e.value.response["Error"]["Code"] == "ResourceInUseException"


def test_domain_name_pending_then_available(account):
    account.set_delays(apigw_domain=0.8)
    arn = issued_certificate(account, "sa-east-1", zone(account))
    apigw = account.client("apigateway", "sa-east-1")
    d = apigw.create_domain_name(domainName=DOMAIN, regionalCertificateArn=arn,
                                 endpointConfiguration={"types": ["REGIONAL"]})
    assert d["domainNameStatus"] == "PENDING"
    assert d["regionalHostedZoneId"] == "ZCMLWB8V5SYIT"
    wait_until(lambda: apigw.get_domain_name(domainName=DOMAIN)["domainNameStatus"] == "AVAILABLE", timeout=3)


def test_update_method_patches_authorization_and_parameters(account):
    apigw = account.client("apigateway", "eu-west-1")
    api = apigw.create_rest_api(name="Api", endpointConfiguration={"types": ["REGIONAL"]})["id"]
    root = [r for r in apigw.get_resources(restApiId=api)["items"] if r["path"] == "/"][0]["id"]
    apigw.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType="NONE")
    m = apigw.update_method(restApiId=api, resourceId=root, httpMethod="GET", patchOperations=[
        {"op": "replace", "path": "/authorizationType", "value": "AWS_IAM"},
        {"op": "add", "path": "/requestParameters/method.request.path.id", "value": "true"}])
    assert m["authorizationType"] == "AWS_IAM"
    got = apigw.get_method(restApiId=api, resourceId=root, httpMethod="GET")
    assert got["requestParameters"] == {"method.request.path.id": True}
    with pytest.raises(ClientError) as e:
        apigw.update_method(restApiId=api, resourceId=root, httpMethod="GET", patchOperations=[
            {"op": "replace", "path": "/nonsense", "value": "x"}])
    assert e.value.response["Error"]["Code"] == "BadRequestException"


def test_update_domain_name_needs_an_issued_certificate(account):
    zone_id = zone(account)
    apigw = account.client("apigateway", "eu-west-1")
    regional = {"types": ["REGIONAL"]}
    first = issued_certificate(account, "eu-west-1", zone_id)
    apigw.create_domain_name(domainName=DOMAIN, regionalCertificateArn=first, endpointConfiguration=regional)
    _, pending = request(account, "eu-west-1", domain="pending.example.com")
    with pytest.raises(ClientError) as e:
        apigw.update_domain_name(domainName=DOMAIN, patchOperations=[
            {"op": "replace", "path": "/regionalCertificateArn", "value": pending}])
    assert e.value.response["Error"]["Code"] == "BadRequestException"
    second = issued_certificate(account, "eu-west-1", zone_id)
    d = apigw.update_domain_name(domainName=DOMAIN, patchOperations=[
        {"op": "replace", "path": "/regionalCertificateArn", "value": second}])
    assert d["regionalCertificateArn"] == second


def test_a_repeated_idempotency_token_answers_the_same_certificate_whatever_the_tags(account):
    acm = account.client("acm")
    first = acm.request_certificate(DomainName="a.example.com", ValidationMethod="DNS", IdempotencyToken="tok1",
                                    Tags=[{"Key": "meridian:token", "Value": "one"}])["CertificateArn"]
    again = acm.request_certificate(DomainName="a.example.com", ValidationMethod="DNS", IdempotencyToken="tok1",
                                    Tags=[{"Key": "meridian:token", "Value": "two"}])["CertificateArn"]
    assert again == first
    assert len(acm.list_certificates()["CertificateSummaryList"]) == 1
    acm.delete_certificate(CertificateArn=first)
    fresh = acm.request_certificate(DomainName="a.example.com", ValidationMethod="DNS", IdempotencyToken="tok1")
    assert fresh["CertificateArn"] != first
def test_rest_apis_and_domain_names_are_tagged_by_arn(account):
    apigw = account.client("apigateway")
    api = apigw.create_rest_api(name="tagged", endpointConfiguration={"types": ["REGIONAL"]})
    certificate = issued_certificate(account, "us-east-1", zone(account))
    apigw.create_domain_name(
        domainName=DOMAIN, regionalCertificateArn=certificate,
        endpointConfiguration={"types": ["REGIONAL"]},
    )
    for arn, read in (
        (f"arn:aws:apigateway:us-east-1::/restapis/{api['id']}",
         lambda: apigw.get_rest_api(restApiId=api["id"])),
        (f"arn:aws:apigateway:us-east-1::/domainnames/{DOMAIN}",
         lambda: apigw.get_domain_name(domainName=DOMAIN)),
    ):
        apigw.tag_resource(resourceArn=arn, tags={"team": "api", "cost": "42"})
        apigw.untag_resource(resourceArn=arn, tagKeys=["cost"])
        assert apigw.get_tags(resourceArn=arn)["tags"] == {"team": "api"}
        assert read()["tags"] == {"team": "api"}
