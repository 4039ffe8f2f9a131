"""Strict mode for Route 53: the `route53_validation` quirk, AWS's checks of a change batch's
records that moto does not make. For an account whose strict switch names it, a
ChangeResourceRecordSets batch is rejected as a whole with InvalidChangeBatch (HTTP 400), its
messages `[...]`-wrapped and comma-joined as AWS does, when a record it writes (CREATE or UPSERT)
would, in the zone as the batch leaves it:

- be a TXT (or SPF) value not enclosed in quotation marks: "Invalid Resource Record: 'FATAL
  problem: InvalidCharacterString (Value should be enclosed in quotation marks) encountered with
  'VALUE''" [moto: stores it];
- be a CNAME beside other records of the same name: "RRSet of type CNAME with DNS name N. is not
  permitted as it conflicts with other records with the same DNS name in zone Z."; or another
  type beside a CNAME: "RRSet of type T with DNS name N. is not permitted because a conflicting
  RRSet of type CNAME with the same DNS name already exists in zone Z." [moto: stores both];
- mix routing policies: a latency record (SetIdentifier + Region) beside a non-latency record of
  the same name and type, or the other way round: "RRSet with DNS name N., type T, SetIdentifier
  ID cannot be created as a non-latency set exists with the same name and type." / "RRSet with
  DNS name N., type T cannot be created as other RRSets exist with the same name and type."
  (*approx.*, AWS's code) [moto: stores both].
"""

from typing import Any

from moto.route53.models import Route53Backend

from . import route53, settings


def _dotted(name: str) -> str:
    return name if name.endswith(".") else name + "."


def _values(rrset: dict) -> list[str]:
    return [r if isinstance(r, str) else r.get("Value", "") for r in rrset.get("ResourceRecords") or []]


def _quoted(value: str) -> bool:
    return len(value) >= 2 and value.startswith('"') and value.endswith('"')


def problems(zone_name: str, current: dict[tuple, dict], changes: list[dict]) -> list[str]:
    """AWS's record checks for `changes` against `current` (key -> record as a change gives it)."""
    final = dict(current)
    written = []
    for change in changes:
        rrset = change["ResourceRecordSet"]
        key = route53._key(rrset)
        if change["Action"] == "DELETE":
            final.pop(key, None)
        else:
            final[key] = rrset
            written.append(rrset)
    zone = _dotted(zone_name)
    errors = []
    for rrset in written:
        name, rtype, set_id = route53._key(rrset)
        dns = _dotted(rrset["Name"])
        if rtype in ("TXT", "SPF"):
            for value in _values(rrset):
                if not _quoted(value):
                    errors.append(
                        "Invalid Resource Record: 'FATAL problem: InvalidCharacterString (Value "
                        f"should be enclosed in quotation marks) encountered with '{value}''"
                    )
        same_name = [(k, r) for k, r in final.items() if k[0] == name and k != (name, rtype, set_id)]
        if rtype == "CNAME" and any(k[1] != "CNAME" for k, _ in same_name):
            errors.append(
                f"RRSet of type CNAME with DNS name {dns} is not permitted as it conflicts with "
                f"other records with the same DNS name in zone {zone}"
            )
        elif rtype != "CNAME" and any(k[1] == "CNAME" for k, _ in same_name):
            errors.append(
                f"RRSet of type {rtype} with DNS name {dns} is not permitted because a conflicting "
                f"RRSet of type CNAME with the same DNS name already exists in zone {zone}"
            )
        same_type = [r for k, r in same_name if k[1] == rtype]
        latency = rrset.get("Region") is not None
        if latency and any(r.get("Region") is None for r in same_type):
            errors.append(
                f"RRSet with DNS name {dns}, type {rtype}, SetIdentifier {set_id} cannot be "
                "created as a non-latency set exists with the same name and type."
            )
        elif not latency and any(r.get("Region") is not None for r in same_type):
            errors.append(
                f"RRSet with DNS name {dns}, type {rtype} cannot be created as other RRSets "
                "exist with the same name and type."
            )
    return errors


def install() -> None:
    orig_change = Route53Backend.change_resource_record_sets

    def change_resource_record_sets(self: Route53Backend, zoneid: str, change_list: list) -> Any:
        if settings.strict(self.account_id, "route53_validation"):
            with settings.LOCK:
                zone = self.get_hosted_zone(zoneid)
                current = {route53._key(c): c for c in (route53._as_change(r) for r in zone.rrsets)}
                errors = problems(zone.name, current, change_list)
            if errors:
                raise route53.Route53Error("InvalidChangeBatch", "[" + ", ".join(errors) + "]")
        return orig_change(self, zoneid, change_list)

    Route53Backend.change_resource_record_sets = change_resource_record_sets
