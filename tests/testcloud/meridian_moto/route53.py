"""Route 53: caller references, exact-match record changes, and change status.

AWS behaviour reproduced (moto gap in brackets):
- CreateHostedZone with a CallerReference already used in the account is
  HostedZoneAlreadyExists. [moto: creates a second zone]
- ChangeResourceRecordSets is validated as a whole against the zone, change by change, before
  anything is applied; any failure rejects the batch with InvalidChangeBatch and AWS's messages:
  * CREATE of an existing name+type(+SetIdentifier): "... but it already exists"
    [moto: only a byte-identical repeat is rejected; a different value makes a duplicate]
  * DELETE of a missing record: "... but it was not found" [moto: InvalidInput]
  * DELETE whose values (TTL, records, alias target, routing fields) differ from the current
    ones: "... but the values provided do not match the current values" [moto: deleted]
  * DELETE with a SetIdentifier deletes only that name+type+SetIdentifier
    [moto: every record in the zone with that SetIdentifier]
- A change batch is atomic for readers: ListResourceRecordSets sees all of it or none of it.
  [moto: a listing can see a batch half applied]
- Each change gets its own id; GetChange is PENDING for `route53_change` seconds, then INSYNC.
  [moto: constant ids, always INSYNC]
"""

import random
import string
import time
from typing import Any

from moto.core.utils import utcnow
from moto.route53.exceptions import (
    DnsNameInvalidForZone,
    InvalidActionValue,
    Route53ClientError,
)
from moto.route53.models import RecordSet, Route53Backend
from moto.route53.responses import Route53
from moto.route53.utils import validate_domain_name

from . import settings

_changes: dict[tuple[str, str], float] = {}  # (account, change id) -> INSYNC time


def reset_state() -> None:
    with settings.LOCK:
        _changes.clear()


class Route53Error(Route53ClientError):
    def __init__(self, code: str, message: str):
        super().__init__(code, message)


def _name(name: str) -> str:
    return name.replace("\\052", "*").lower().rstrip(".")


def _key(rrset: dict) -> tuple:
    return (_name(rrset["Name"]), rrset["Type"], rrset.get("SetIdentifier"))


def _describe_key(rrset: dict) -> str:
    name = rrset["Name"] if rrset["Name"].endswith(".") else rrset["Name"] + "."
    text = f"name='{name}', type='{rrset['Type']}'"
    if rrset.get("SetIdentifier") is not None:
        text += f", set-identifier='{rrset['SetIdentifier']}'"
    return f"[{text}]"


def _values(rrset: dict) -> dict:
    """The comparable content of a record set given as a change's ResourceRecordSet."""
    alias = rrset.get("AliasTarget")
    if alias:
        alias = (
            alias.get("HostedZoneId"),
            _name(alias.get("DNSName", "")),
            bool(alias.get("EvaluateTargetHealth", False)),
        )
    records = rrset.get("ResourceRecords") or []
    values = sorted(r if isinstance(r, str) else r.get("Value", "") for r in records)
    ttl = rrset.get("TTL")
    return {
        "TTL": int(ttl) if ttl not in (None, "") else None,
        "ResourceRecords": values,
        "AliasTarget": alias,
        "Weight": None if rrset.get("Weight") is None else int(rrset["Weight"]),
        "Region": rrset.get("Region"),
        "Failover": rrset.get("Failover"),
        "GeoLocation": rrset.get("GeoLocation") or None,
        "MultiValueAnswer": rrset.get("MultiValueAnswer"),
        "HealthCheckId": rrset.get("HealthCheckId"),
    }


def _as_change(rrset: RecordSet) -> dict:
    return {
        "Name": rrset.name,
        "Type": rrset.type,
        "SetIdentifier": rrset.set_identifier,
        "TTL": rrset.ttl,
        "ResourceRecords": rrset.records,
        "AliasTarget": rrset.alias_target,
        "Weight": rrset.weight,
        "Region": rrset.region,
        "Failover": rrset.failover,
        "GeoLocation": rrset.geo_location,
        "MultiValueAnswer": rrset.multi_value_answer,
        "HealthCheckId": rrset.health_check_id,
    }


def change_resource_record_sets(self: Route53Backend, zoneid: str, change_list: list) -> None:
    """Replacement for moto's: validate the whole batch like AWS, then apply it."""
    with settings.LOCK:
        zone = self.get_hosted_zone(zoneid)
        current = {_key(c): _values(c) for c in (_as_change(r) for r in zone.rrsets)}
        errors = []
        for change in change_list:
            action = change["Action"]
            rrset = change["ResourceRecordSet"]
            if action not in ("CREATE", "UPSERT", "DELETE"):
                raise InvalidActionValue(action)
            validate_domain_name(rrset["Name"], code="InvalidChangeBatch")
            record_name = _name(rrset["Name"])
            zone_name = _name(zone.name)
            if record_name != zone_name and not record_name.endswith("." + zone_name):
                raise DnsNameInvalidForZone(name=rrset["Name"], zone_name=zone.name)
            key = _key(rrset)
            what = _describe_key(rrset)
            if action == "CREATE":
                if key in current:
                    errors.append(f"Tried to create resource record set {what} but it already exists")
                else:
                    current[key] = _values(rrset)
            elif action == "DELETE":
                if key not in current:
                    errors.append(f"Tried to delete resource record set {what} but it was not found")
                elif current[key] != _values(rrset):
                    errors.append(
                        f"Tried to delete resource record set {what} but the values provided "
                        "do not match the current values"
                    )
                else:
                    del current[key]
            else:
                current[key] = _values(rrset)
        if errors:
            raise Route53Error("InvalidChangeBatch", "[" + ", ".join(errors) + "]")

        for change in change_list:
            original = dict(change, ResourceRecordSet=dict(change["ResourceRecordSet"]))
            rrset = change["ResourceRecordSet"]
            if not rrset["Name"].endswith("."):
                rrset["Name"] += "."
            key = _key(rrset)
            if change["Action"] == "DELETE":
                zone.rrsets = [r for r in zone.rrsets if _key(_as_change(r)) != key]
            else:
                if "ResourceRecords" in rrset:
                    rrset["ResourceRecords"] = [
                        r if isinstance(r, str) else r["Value"] for r in rrset["ResourceRecords"]
                    ]
                if change["Action"] == "CREATE":
                    zone.add_rrset(rrset)
                else:
                    zone.upsert_rrset(rrset)
            zone.rr_changes.append(original)


def _new_change(account_id: str) -> tuple[str, str]:
    change_id = "C" + "".join(random.choices(string.ascii_uppercase + string.digits, k=13))
    wait = settings.delay(account_id, "route53_change")
    with settings.LOCK:
        _changes[(account_id, change_id)] = time.time() + wait
    return "/change/" + change_id, ("PENDING" if wait > 0 else "INSYNC")


def install() -> None:
    orig_init = RecordSet.__init__

    def __init__(self: RecordSet, kwargs: dict) -> None:
        orig_init(self, kwargs)
        self._mtc_written_at = time.time()

    RecordSet.__init__ = __init__

    Route53Backend.change_resource_record_sets = change_resource_record_sets

    # A change batch is applied under the lock; listing under it too, a reader sees a batch
    # whole or not at all, as on AWS.
    orig_list = Route53Backend.list_resource_record_sets

    def list_resource_record_sets(self: Route53Backend, *args: Any, **kwargs: Any) -> Any:
        with settings.LOCK:
            return orig_list(self, *args, **kwargs)

    Route53Backend.list_resource_record_sets = list_resource_record_sets

    orig_create_zone = Route53Backend.create_hosted_zone

    def create_hosted_zone(self: Route53Backend, name: str, private_zone: bool, caller_reference: str | None = None, *args: Any, **kwargs: Any) -> Any:
        with settings.LOCK:
            if caller_reference and any(
                z.caller_reference == caller_reference for z in list(self.zones.values())
            ):
                raise Route53Error(
                    "HostedZoneAlreadyExists",
                    "A hosted zone has already been created with the specified caller reference.",
                )
            return orig_create_zone(self, name, private_zone, caller_reference, *args, **kwargs)

    Route53Backend.create_hosted_zone = create_hosted_zone

    def with_change_id(name: str) -> None:
        original = getattr(Route53, name)

        def wrapper(self: Route53) -> Any:
            result = original(self)
            info = getattr(result, "result", {}).get("ChangeInfo") if hasattr(result, "result") else None
            if isinstance(info, dict):
                info["Id"], info["Status"] = _new_change(self.current_account)
            return result

        setattr(Route53, name, wrapper)

    for action in ("create_hosted_zone", "change_resource_record_sets", "delete_hosted_zone"):
        with_change_id(action)

    orig_get_change = Route53.get_change

    def get_change(self: Route53) -> Any:
        change_id = self._get_param("Id") or ""
        bare = change_id.split("/")[-1]
        with settings.LOCK:
            insync_at = _changes.get((self.current_account, bare))
        if insync_at is None:
            return orig_get_change(self)
        from moto.core.responses import ActionResult

        status = "INSYNC" if time.time() >= insync_at else "PENDING"
        return ActionResult(
            {"ChangeInfo": {"Id": "/change/" + bare, "Status": status, "SubmittedAt": utcnow()}}
        )

    Route53.get_change = get_change
