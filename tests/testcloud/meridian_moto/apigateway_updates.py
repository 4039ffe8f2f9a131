"""API Gateway calls moto 5.2.5 answers with HTTP 500 where AWS does not: UpdateMethod and
UpdateDomainName (not implemented), and deletes of what no longer exists.

AWS behaviour reproduced:
- UpdateMethod: patch /authorizationType (replace), /requestParameters/<name> (add, replace:
  value "true"/"false" = required; remove). The integration is kept.
- UpdateDomainName: patch /regionalCertificateArn (the new certificate must be ISSUED in the
  region, else BadRequestException) and /securityPolicy; domainNameStatus UPDATING for
  `apigw_domain` seconds.
- DeleteRestApi, DeleteResource, DeleteMethod and DeleteIntegration of something that does not
  exist (any more) are a NotFoundException (404), as on AWS. [moto: 500 for the first, second
  and fourth (a KeyError), 200 for DeleteMethod.] A delete whose response was lost is retried
  by the SDK; AWS's 404 tells the caller it is done, moto's 500 made it retry until its deadline.
- GetBasePathMappings of a domain that has never had a mapping is an empty list, and
  GetBasePathMapping / DeleteBasePathMapping of a mapping it lacks a NotFoundException.
  [moto: 500 (a KeyError) until the domain's first mapping]
"""

import json
import time
from typing import Any

from moto.apigateway.exceptions import BadRequestException, NotFoundException
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

    # Deletes of what is gone: look it up first, so a missing one is AWS's 404.
    orig_delete_rest_api = APIGatewayBackend.delete_rest_api
    orig_delete_resource = APIGatewayBackend.delete_resource
    orig_delete_method = APIGatewayBackend.delete_method
    orig_delete_integration = APIGatewayBackend.delete_integration

    def delete_rest_api(self: APIGatewayBackend, api: str) -> Any:
        self.get_rest_api(api)
        return orig_delete_rest_api(self, api)

    def delete_resource(self: APIGatewayBackend, api: str, resource: str) -> Any:
        self.get_resource(api, resource)
        return orig_delete_resource(self, api, resource)

    def delete_method(self: APIGatewayBackend, api: str, resource: str, verb: str) -> Any:
        self.get_method(api, resource, verb)
        return orig_delete_method(self, api, resource, verb)

    def delete_integration(self: APIGatewayBackend, api: str, resource: str, verb: str) -> Any:
        if self.get_method(api, resource, verb).method_integration is None:
            raise NotFoundException("Invalid Integration identifier specified")
        return orig_delete_integration(self, api, resource, verb)

    APIGatewayBackend.delete_rest_api = delete_rest_api
    APIGatewayBackend.delete_resource = delete_resource
    APIGatewayBackend.delete_method = delete_method
    APIGatewayBackend.delete_integration = delete_integration

    # A domain without mappings has an empty mapping table, not none.
    def with_mapping_table(orig):
        def patched(self: APIGatewayBackend, domain_name: str, *args: Any, **kwargs: Any) -> Any:
            if domain_name in self.domain_names:
                self.base_path_mappings.setdefault(domain_name, {})
            return orig(self, domain_name, *args, **kwargs)

        return patched

    for name in ("get_base_path_mappings", "get_base_path_mapping", "delete_base_path_mapping"):
        setattr(APIGatewayBackend, name, with_mapping_table(getattr(APIGatewayBackend, name)))
