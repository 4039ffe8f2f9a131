"""ACM: DNS validation that really looks at Route 53.

AWS behaviour reproduced (moto gap in brackets):
- The DNS-validation CNAME of a domain is specific to the domain and the account: the same
  for that domain in every region and certificate of the account, different between domains
  and between accounts; a wildcard `*.d` shares the record of `d`.
  [moto: one constant record for every certificate, domain and account]
- A requested certificate becomes ISSUED (each DomainValidationOptions entry SUCCESS) only once
  that CNAME, with that value, exists in a Route 53 hosted zone of the same account, plus
  `acm_issue` seconds after the record was written; checked lazily on Describe/Get/List.
  Without the record it stays PENDING_VALIDATION forever.
  [moto: ISSUED after MOTO_ACM_VALIDATION_WAIT seconds, record or not]
- ResourceRecord appears in DomainValidationOptions only `acm_record` seconds after the
  request. [moto: at once]
- DeleteCertificate of a certificate an API Gateway domain name uses is a
  ResourceInUseException. [moto: deleted]
- RequestCertificate repeating an IdempotencyToken of the last hour answers the certificate that
  token made (while it exists), whatever the request's tags: AWS documents the token alone.
  [moto: only when the tags are equal too; and a server error once that certificate is deleted]
Not emulated: that the hosted zone is actually delegated from its parent (public resolvability).
"""

import hashlib
import time
from typing import Any

from moto.acm.models import AWSCertificateManagerBackend, CertBundle
from moto.core.exceptions import AWSError
from moto.core.utils import utcnow

from . import settings


class ResourceInUseException(AWSError):
    TYPE = "ResourceInUseException"


def _account_of(cert: CertBundle) -> str:
    return cert.arn.split(":")[4]


def _region_of(cert: CertBundle) -> str:
    return cert.arn.split(":")[3]


def validation_record(account_id: str, domain: str) -> dict[str, str]:
    """The CNAME (Name, Type, Value) that validates `domain` for `account_id`."""
    name = domain.lower().rstrip(".")
    if name.startswith("*."):
        name = name[2:]
    digest = hashlib.sha256(f"meridian-acm:{account_id}:{name}".encode()).digest()
    label = "".join(chr(ord("a") + b % 26) for b in digest[16:26])
    value_hex = hashlib.sha256(digest).hexdigest()[:32]
    return {
        "Name": f"_{digest[:16].hex()}.{name}.",
        "Type": "CNAME",
        "Value": f"_{value_hex}.{label}.acm-validations.aws.",
    }


def _norm(name: str) -> str:
    return name.lower().rstrip(".")


def record_written_at(account_id: str, record: dict[str, str]) -> float | None:
    """When the CNAME `record` was written into a hosted zone of the account (None: absent)."""
    from moto.route53.models import route53_backends

    backend = route53_backends[account_id]["aws"]
    want_name, want_value = _norm(record["Name"]), _norm(record["Value"])
    for zone in list(backend.zones.values()):
        for rrset in list(zone.rrsets):
            if rrset.type != "CNAME" or _norm(rrset.name) != want_name:
                continue
            values = [v if isinstance(v, str) else v.get("Value", "") for v in rrset.records]
            if any(_norm(v) == want_value for v in values):
                return getattr(rrset, "_mtc_written_at", 0.0)
    return None


def _domains(cert: CertBundle) -> list[str]:
    return sorted(set(cert.sans + ([cert.common_name] if cert.common_name else [])))


def _validated(cert: CertBundle) -> set[str]:
    """The domains of `cert` whose validation has succeeded by now (sticky)."""
    done: set[str] = cert.__dict__.setdefault("_mtc_validated", set())
    account = _account_of(cert)
    wait = settings.delay(account, "acm_issue")
    now = time.time()
    for domain in _domains(cert):
        if domain in done:
            continue
        written = record_written_at(account, validation_record(account, domain))
        if written is not None and now >= written + wait:
            done.add(domain)
    return done


def install() -> None:
    orig_check = CertBundle.check

    def check(self: CertBundle) -> None:
        if self.type != "AMAZON_ISSUED" or self.status != "PENDING_VALIDATION":
            return orig_check(self)
        if self._not_valid_after(self._cert) <= utcnow():
            self.status = "EXPIRED"
            return
        with settings.LOCK:
            if set(_domains(self)) <= _validated(self):
                self.status = "ISSUED"
                self._mtc_issued_at = time.time()

    CertBundle.check = check

    orig_describe = CertBundle.describe

    def describe(self: CertBundle) -> dict[str, Any]:
        result = orig_describe(self)
        cert = result["Certificate"]
        if self.type != "AMAZON_ISSUED":
            return result
        account = _account_of(self)
        age = (utcnow() - self.created_at).total_seconds()
        show_record = age >= settings.delay(account, "acm_record")
        with settings.LOCK:
            validated = _validated(self) if self.status == "PENDING_VALIDATION" else set()
        for option in cert.get("DomainValidationOptions", []):
            if show_record:
                option["ResourceRecord"] = validation_record(account, option["DomainName"])
            else:
                option.pop("ResourceRecord", None)
            if self.status == "ISSUED" or option["DomainName"] in validated:
                option["ValidationStatus"] = "SUCCESS"
            elif self.status == "PENDING_VALIDATION":
                option["ValidationStatus"] = "PENDING_VALIDATION"
            else:
                option["ValidationStatus"] = "FAILED"
        if self.status == "ISSUED":
            issued = getattr(self, "_mtc_issued_at", None)
            if issued is not None:
                cert["IssuedAt"] = issued
        else:
            cert.pop("IssuedAt", None)
        return result

    CertBundle.describe = describe

    orig_list = AWSCertificateManagerBackend.list_certificates

    def list_certificates(self: AWSCertificateManagerBackend, *args: Any, **kwargs: Any) -> Any:
        for cert in list(self._certificates.values()):
            cert.check()
        return orig_list(self, *args, **kwargs)

    AWSCertificateManagerBackend.list_certificates = list_certificates

    orig_request = AWSCertificateManagerBackend.request_certificate

    def request_certificate(
        self: AWSCertificateManagerBackend, domain_name: str, idempotency_token: str | None, *args: Any, **kwargs: Any
    ) -> str:
        with settings.LOCK:
            if idempotency_token is not None:
                arn = self._get_arn_from_idempotency_token(idempotency_token)
                if arn in self._certificates:
                    return arn
                if arn is not None:  # its certificate is deleted: the token starts afresh
                    del self._idempotency_tokens[idempotency_token]
            return orig_request(self, domain_name, idempotency_token, *args, **kwargs)

    AWSCertificateManagerBackend.request_certificate = request_certificate

    orig_delete = AWSCertificateManagerBackend.delete_certificate

    def delete_certificate(self: AWSCertificateManagerBackend, arn: str) -> None:
        from moto.apigateway.models import apigateway_backends

        if arn in self._certificates:
            domains = apigateway_backends[self.account_id][self.region_name].domain_names
            users = [
                d.domain_name
                for d in list(domains.values())
                if arn in (d.regional_certificate_arn, d.certificate_arn)
            ]
            if users:
                raise ResourceInUseException(
                    f"Certificate {arn} in account {self.account_id} is in use "
                    f"(API Gateway domain names: {', '.join(users)})."
                )
        return orig_delete(self, arn)

    AWSCertificateManagerBackend.delete_certificate = delete_certificate


def require_issued(account_id: str, region: str, arn: str | None) -> CertBundle:
    """The ISSUED certificate `arn` of the account in `region`, else a BadRequestException."""
    from moto.acm.models import acm_backends
    from moto.apigateway.exceptions import BadRequestException

    if not arn:
        raise BadRequestException("A certificate ARN is required for this domain name.")
    cert = acm_backends[account_id][region]._certificates.get(arn)
    if cert is None or _region_of(cert) != region:
        raise BadRequestException(f"Certificate {arn} not found in region {region}.")
    cert.check()
    if cert.status != "ISSUED":
        raise BadRequestException(
            f"Certificate {arn} is not ISSUED (status {cert.status}); "
            "the certificate must be issued before it can be used."
        )
    return cert
