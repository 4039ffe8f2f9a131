"""API Gateway tags on REST APIs and custom domain names, by ARN.

AWS: TagResource, UntagResource and GetTags take any taggable API Gateway resource's ARN
(arn:aws:apigateway:<region>::/restapis/<id>, .../restapis/<id>/stages/<name>,
.../domainnames/<name>), and GetRestApi / GetDomainName report the tags.
moto 5.2.5: the three calls only know stages (no route matches the other ARNs, and the handlers
read a stage out of the path), so tagging a REST API or a domain name after its creation fails.
Here: routes for the two ARNs, and handlers that tag the REST API or domain name itself; stages
keep moto's handling.
"""

import json
from typing import Any
from urllib.parse import unquote

from moto.apigateway import urls
from moto.apigateway.responses import APIGatewayResponse

_ARN = r"{0}/tags/arn:(?P<partition>[^/]+):apigateway:(?P<region_name>[^/]+)::/"


def _resource(self: APIGatewayResponse) -> Any:
    """The REST API or domain name the path's ARN names; None for anything else (a stage)."""
    arn = unquote(self.path.split("/tags/", 1)[1])
    parts = arn.split("::/", 1)[-1].split("/")
    if len(parts) == 2 and parts[0] == "restapis":
        return self.backend.get_rest_api(parts[1])
    if len(parts) == 2 and parts[0] == "domainnames":
        return self.backend.get_domain_name(parts[1])
    return None


def install() -> None:
    urls.url_paths[_ARN + r"restapis/(?P<function_id>[^/]+)$"] = APIGatewayResponse.dispatch
    urls.url_paths[_ARN + r"domainnames/(?P<domain_name>[^/]+)$"] = APIGatewayResponse.dispatch
    original_tag = APIGatewayResponse.tag_resource
    original_untag = APIGatewayResponse.untag_resource
    original_get = APIGatewayResponse.get_tags

    def tag_resource(self: APIGatewayResponse) -> str:
        resource = _resource(self)
        if resource is None:
            return original_tag(self)
        resource.tags = {**(resource.tags or {}), **(self._get_param("tags") or {})}
        return json.dumps({})

    def untag_resource(self: APIGatewayResponse) -> str:
        resource = _resource(self)
        if resource is None:
            return original_untag(self)
        keys = self.querystring.get("tagKeys") or []
        resource.tags = {k: v for k, v in (resource.tags or {}).items() if k not in keys}
        return json.dumps({})

    def get_tags(self: APIGatewayResponse) -> str:
        resource = _resource(self)
        if resource is None:
            return original_get(self)
        return json.dumps({"tags": resource.tags or {}})

    APIGatewayResponse.tag_resource = tag_resource
    APIGatewayResponse.untag_resource = untag_resource
    APIGatewayResponse.get_tags = get_tags
