"""Route 53: CallerReference, exact-match DELETE, CREATE conflicts, SetIdentifier, GetChange."""

import pytest
from botocore.exceptions import ClientError

from conftest import wait_until


def zone(r53, name="example.com", ref="ref-1"):
    return r53.create_hosted_zone(Name=name, CallerReference=ref)


def change(r53, zone_id, *changes):
    return r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": list(changes)})


def rr(action, name, value, ttl=300, rtype="CNAME", **extra):
    return {"Action": action, "ResourceRecordSet": dict(
        Name=name, Type=rtype, TTL=ttl, ResourceRecords=[{"Value": value}], **extra)}


def latency(action, name, region, target="d-1.example.net."):
    return {"Action": action, "ResourceRecordSet": {
        "Name": name, "Type": "A", "SetIdentifier": region, "Region": region,
        "AliasTarget": {"HostedZoneId": "Z1UJRXOUMOOFQ8", "DNSName": target, "EvaluateTargetHealth": False}}}


def records(r53, zone_id):
    sets = r53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    return {(s["Name"], s["Type"], s.get("SetIdentifier")): s for s in sets if s["Type"] not in ("NS", "SOA")}


def err(e):
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


def test_caller_reference_is_idempotency_key(account, other_account):
    r53 = account.client("route53")
    zone(r53)
    with pytest.raises(ClientError) as e:
        zone(r53, name="other.com")
    assert err(e)[0] == "HostedZoneAlreadyExists"
    zone(r53, ref="ref-2")  # a second zone of the same name is allowed, as in AWS
    zone(other_account.client("route53"))  # other accounts have their own references
    assert len(r53.list_hosted_zones()["HostedZones"]) == 2


def test_create_existing_with_other_value_is_rejected(account):
    r53 = account.client("route53")
    zid = zone(r53)["HostedZone"]["Id"]
    change(r53, zid, rr("CREATE", "www.example.com", "a.example.net"))
    with pytest.raises(ClientError) as e:
        change(r53, zid, rr("CREATE", "www.example.com", "b.example.net"))
    assert err(e) == ("InvalidChangeBatch", "[Tried to create resource record set "
                      "[name='www.example.com.', type='CNAME'] but it already exists]")
    assert len(records(r53, zid)) == 1


def test_delete_must_match_current_values(account):
    r53 = account.client("route53")
    zid = zone(r53)["HostedZone"]["Id"]
    change(r53, zid, rr("CREATE", "www.example.com", "a.example.net"))
    change(r53, zid, rr("UPSERT", "www.example.com", "b.example.net"))
    with pytest.raises(ClientError) as e:
        change(r53, zid, rr("DELETE", "www.example.com", "a.example.net"))
    assert err(e) == ("InvalidChangeBatch", "[Tried to delete resource record set "
                      "[name='www.example.com.', type='CNAME'] but the values provided do not match the current values]")
    with pytest.raises(ClientError) as e:
        change(r53, zid, rr("DELETE", "www.example.com", "b.example.net", ttl=60))
    assert "do not match the current values" in err(e)[1]
    with pytest.raises(ClientError) as e:
        change(r53, zid, rr("DELETE", "nope.example.com", "b.example.net"))
    assert err(e) == ("InvalidChangeBatch", "[Tried to delete resource record set "
                      "[name='nope.example.com.', type='CNAME'] but it was not found]")
    change(r53, zid, rr("DELETE", "www.example.com", "b.example.net"))
    assert records(r53, zid) == {}


def test_batch_is_atomic(account):
    r53 = account.client("route53")
    zid = zone(r53)["HostedZone"]["Id"]
    with pytest.raises(ClientError):
        change(r53, zid, rr("CREATE", "a.example.com", "x.example.net"),
               rr("DELETE", "missing.example.com", "x.example.net"))
    assert records(r53, zid) == {}
    # Within a batch, changes apply in order: delete then re-create is fine.
    change(r53, zid, rr("CREATE", "a.example.com", "x.example.net"))
    change(r53, zid, rr("DELETE", "a.example.com", "x.example.net"), rr("CREATE", "a.example.com", "y.example.net"))
    assert records(r53, zid)[("a.example.com.", "CNAME", None)]["ResourceRecords"] == [{"Value": "y.example.net"}]


def test_delete_with_set_identifier_deletes_only_that_record(account):
    r53 = account.client("route53")
    zid = zone(r53)["HostedZone"]["Id"]
    change(r53, zid, *[latency("CREATE", name, region)
                       for name in ("api.example.com.", "www.example.com.")
                       for region in ("us-east-1", "eu-west-1")])
    assert len(records(r53, zid)) == 4
    with pytest.raises(ClientError) as e:
        change(r53, zid, latency("DELETE", "api.example.com.", "us-east-1", target="other.example.net."))
    assert "do not match the current values" in err(e)[1] and "set-identifier='us-east-1'" in err(e)[1]
    change(r53, zid, latency("DELETE", "api.example.com.", "us-east-1"))
    assert set(records(r53, zid)) == {("api.example.com.", "A", "eu-west-1"),
                                      ("www.example.com.", "A", "us-east-1"),
                                      ("www.example.com.", "A", "eu-west-1")}


def test_get_change_pending_then_insync(account):
    account.set_delays(route53_change=0.8)
    r53 = account.client("route53")
    created = zone(r53)
    assert created["ChangeInfo"]["Status"] == "PENDING"
    zid = created["HostedZone"]["Id"]
    c1 = change(r53, zid, rr("CREATE", "a.example.com", "x.example.net"))["ChangeInfo"]
    c2 = change(r53, zid, rr("CREATE", "b.example.com", "x.example.net"))["ChangeInfo"]
    assert c1["Id"] != c2["Id"] and c1["Id"].startswith("/change/")
    got = r53.get_change(Id=c1["Id"])["ChangeInfo"]
    assert got["Status"] == "PENDING" and got["Id"] == c1["Id"]
    r53.get_waiter("resource_record_sets_changed").wait(Id=c2["Id"], WaiterConfig={"Delay": 1, "MaxAttempts": 5})
    assert r53.get_change(Id=created["ChangeInfo"]["Id"])["ChangeInfo"]["Status"] == "INSYNC"
