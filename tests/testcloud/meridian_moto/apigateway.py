"""API Gateway (REST v1) custom domain names.

AWS behaviour reproduced (moto gap in brackets):
- CreateDomainName for a REGIONAL domain needs an ISSUED ACM certificate in the same region
  (an EDGE domain: in us-east-1); otherwise BadRequestException. [moto: never checked]
- Creating a domain name that already exists in the region is a ConflictException.
  [moto: overwrites it with a new regionalDomainName]
- regionalHostedZoneId is API Gateway's real per-region hosted zone id (for Route 53 alias
  records). [moto: always Z2FDTNDATAQYW2, CloudFront's zone]
- domainNameStatus is PENDING for `apigw_domain` seconds, then AVAILABLE. [moto: AVAILABLE]
"""

import inspect
import time
from typing import Any

from moto.apigateway.exceptions import ConflictException
from moto.apigateway.models import APIGatewayBackend, DomainName

from . import acm, settings

#: API Gateway's regional hosted zone ids (the alias target HostedZoneId of a custom domain).
REGIONAL_HOSTED_ZONE_IDS = {
    "us-east-1": "Z1UJRXOUMOOFQ8",
    "us-east-2": "ZOJJZC49E0EPZ",
    "us-west-1": "Z2MUQ32089INYE",
    "us-west-2": "Z2OJLYMUO9EFXC",
    "ca-central-1": "Z19DQILCV0OWEC",
    "eu-west-1": "ZLY8HYME6SFDD",
    "eu-west-2": "ZJ5UAJN8Y3Z2Q",
    "eu-west-3": "Z3KY65QIEKYHQQ",
    "eu-central-1": "Z1U9ULNL0V5AJ3",
    "eu-north-1": "Z3UWIKFBOOGXPP",
    "ap-southeast-1": "ZL327KTPIQFUL",
    "ap-southeast-2": "Z2RPCDW04V8134",
    "ap-northeast-1": "Z1YSHQZHG15GKL",
    "ap-northeast-2": "Z20JF4UZKIW1U8",
    "ap-south-1": "Z3VO1THU9YC4UR",
    "sa-east-1": "ZCMLWB8V5SYIT",
}


def install() -> None:
    orig_create = APIGatewayBackend.create_domain_name
    signature = inspect.signature(orig_create)

    def create_domain_name(self: APIGatewayBackend, *args: Any, **kwargs: Any) -> DomainName:
        params = signature.bind(self, *args, **kwargs).arguments
        name = params.get("domain_name")
        if name and name in self.domain_names:
            raise ConflictException("The domain name you provided already exists.")
        types = (params.get("endpoint_configuration") or {}).get("types") or ["EDGE"]
        if "REGIONAL" in types:
            if not params.get("certificate_body"):
                acm.require_issued(
                    self.account_id, self.region_name, params.get("regional_certificate_arn")
                )
        elif params.get("certificate_arn"):
            acm.require_issued(self.account_id, "us-east-1", params.get("certificate_arn"))
        domain = orig_create(self, *args, **kwargs)
        domain.regional_hosted_zone_id = REGIONAL_HOSTED_ZONE_IDS.get(
            self.region_name, domain.regional_hosted_zone_id
        )
        domain._mtc_available_at = time.time() + settings.delay(self.account_id, "apigw_domain")
        return domain

    APIGatewayBackend.create_domain_name = create_domain_name

    orig_to_json = DomainName.to_json

    def to_json(self: DomainName) -> dict[str, Any]:
        result = orig_to_json(self)
        if time.time() < getattr(self, "_mtc_available_at", 0.0):
            result["domainNameStatus"] = "PENDING"
            result["domainNameStatusMessage"] = "Domain name is being created"
        return result

    DomainName.to_json = to_json
