"""API Gateway updates moto 5.2.5 does not implement (HTTP 500):
UpdateMethod and UpdateDomainName.

AWS behaviour reproduced:
- UpdateMethod: patch /authorizationType (replace), /requestParameters/<name> (add, replace:
  value "true"/"false" = required; remove). The integration is kept.
- UpdateDomainName: patch /regionalCertificateArn (the new certificate must be ISSUED in the
  region, else BadRequestException) and /securityPolicy; domainNameStatus UPDATING for
  `apigw_domain` seconds.
"""

import json
import time
from typing import Any

from moto.apigateway.exceptions import BadRequestException
from moto.apigateway.models import APIGatewayBackend, DomainName
from moto.apigateway.responses import APIGatewayResponse

from meridian_moto import acm, settings


def _unescape(key: str) -> str:
    return key.replace("~1", "/").replace("~0", "~")


def install() -> None:
    def update_method(self: APIGatewayBackend, api: str, resource: str, verb: str, ops: list[dict[str, Any]]):
        method = self.get_method(api, resource, verb)
        for op in ops:
            path, kind, value = op.get("path", ""), op.get("op"), op.get("value")
            if path == "/authorizationType" and kind == "replace":
                method.authorization_type = value
            elif path.startswith("/requestParameters/"):
                name = _unescape(path[len("/requestParameters/"):])
                params = dict(method.request_parameters or {})
                if kind == "remove":
                    params.pop(name, None)
                elif kind in ("add", "replace"):
                    params[name] = str(value).lower() == "true"
                else:
                    raise BadRequestException(f"Invalid patch operation {kind} on {path}")
                method.request_parameters = params
            else:
                raise BadRequestException(f"Invalid patch path {path}")
        return method

    APIGatewayBackend.update_method = update_method

    def update_method_response(self: APIGatewayResponse) -> str:
        parts = self.path.split("/")
        ops = self._get_param("patchOperations") or []
        method = self.backend.update_method(parts[2], parts[4], parts[6], ops)
        return json.dumps(method.to_json())

    APIGatewayResponse.update_method = update_method_response

    def update_domain_name(self: APIGatewayBackend, name: str, ops: list[dict[str, Any]]) -> DomainName:
        domain = self.get_domain_name(name)
        for op in ops:
            path, value = op.get("path", ""), op.get("value")
            if path == "/regionalCertificateArn":
                acm.require_issued(self.account_id, self.region_name, value)
                domain.regional_certificate_arn = value
            elif path == "/securityPolicy":
                domain.security_policy = value
            else:
                raise BadRequestException(f"Invalid patch path {path}")
        domain._mtc_available_at = time.time() + settings.delay(self.account_id, "apigw_domain")
        return domain

    APIGatewayBackend.update_domain_name = update_domain_name

    def update_domain_name_response(self: APIGatewayResponse) -> str:
        name = self.path.split("/")[2]
        from urllib.parse import unquote
        domain = self.backend.update_domain_name(unquote(name), self._get_param("patchOperations") or [])
        return json.dumps(domain.to_json())

    APIGatewayResponse.update_domain_name = update_domain_name_response
