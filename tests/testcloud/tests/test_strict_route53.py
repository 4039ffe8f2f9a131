"""Strict mode, Route 53: AWS's record validation (unquoted TXT, CNAME conflicts, mixed routing)."""

import pytest
from botocore.exceptions import ClientError

from test_route53 import change, err, latency, records, rr, zone


def strict_zone(account):
    account.set_strict(["route53_validation"])
    r53 = account.client("route53")
    return r53, zone(r53)["HostedZone"]["Id"]


def test_an_unquoted_txt_value_is_an_invalid_change_batch(account):
    r53, zid = strict_zone(account)
    with pytest.raises(ClientError) as e:
        change(r53, zid, rr("UPSERT", "t.example.com", "hello world", rtype="TXT"))
    assert err(e) == ("InvalidChangeBatch", "[Invalid Resource Record: 'FATAL problem: InvalidCharacterString "
                      "(Value should be enclosed in quotation marks) encountered with 'hello world'']")
    assert records(r53, zid) == {}
    change(r53, zid, rr("UPSERT", "t.example.com", '"hello world"', rtype="TXT"))
    assert len(records(r53, zid)) == 1


def test_a_cname_beside_other_records_is_refused_both_ways(account):
    r53, zid = strict_zone(account)
    change(r53, zid, rr("CREATE", "www.example.com", '"v=1"', rtype="TXT"))
    with pytest.raises(ClientError) as e:
        change(r53, zid, rr("CREATE", "www.example.com", "a.example.net"))
    assert err(e) == ("InvalidChangeBatch", "[RRSet of type CNAME with DNS name www.example.com. is not permitted "
                      "as it conflicts with other records with the same DNS name in zone example.com.]")
    change(r53, zid, rr("CREATE", "api.example.com", "a.example.net"))
    with pytest.raises(ClientError) as e:
        change(r53, zid, rr("CREATE", "api.example.com", "1.2.3.4", rtype="A"))
    assert "conflicting RRSet of type CNAME" in err(e)[1]
    # Deleting the other record in the same batch makes room, as on AWS.
    change(r53, zid, rr("DELETE", "www.example.com", '"v=1"', rtype="TXT"),
           rr("CREATE", "www.example.com", "a.example.net"))
    assert records(r53, zid)[("www.example.com.", "CNAME", None)]


def test_a_latency_record_beside_a_simple_one_is_refused_both_ways(account):
    r53, zid = strict_zone(account)
    simple = {"Action": "CREATE", "ResourceRecordSet": {
        "Name": "api.example.com", "Type": "A", "AliasTarget": {
            "HostedZoneId": "Z1UJRXOUMOOFQ8", "DNSName": "d-0.example.net.", "EvaluateTargetHealth": False}}}
    change(r53, zid, simple)
    with pytest.raises(ClientError) as e:
        change(r53, zid, latency("CREATE", "api.example.com", "eu-west-1"))
    assert err(e) == ("InvalidChangeBatch", "[RRSet with DNS name api.example.com., type A, SetIdentifier "
                      "eu-west-1 cannot be created as a non-latency set exists with the same name and type.]")
    change(r53, zid, latency("CREATE", "lat.example.com", "eu-west-1"))
    change(r53, zid, latency("CREATE", "lat.example.com", "us-east-1"))  # latency beside latency is fine
    with pytest.raises(ClientError) as e:
        change(r53, zid, dict(simple, ResourceRecordSet=dict(simple["ResourceRecordSet"], Name="lat.example.com")))
    assert "cannot be created as other RRSets exist with the same name and type" in err(e)[1]
    # Another type of the same name is no conflict.
    change(r53, zid, rr("CREATE", "lat.example.com", '"x"', rtype="TXT"))


def test_lenient_accounts_accept_what_moto_accepts(account):
    r53 = account.client("route53")
    zid = zone(r53)["HostedZone"]["Id"]
    change(r53, zid, rr("UPSERT", "t.example.com", "hello", rtype="TXT"))
    change(r53, zid, rr("CREATE", "t.example.com", "a.example.net"))
    assert len(records(r53, zid)) == 2
