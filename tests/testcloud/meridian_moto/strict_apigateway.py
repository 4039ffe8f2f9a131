"""Strict mode for API Gateway (REST v1): AWS's quirks that break providers on real AWS and that
moto does not have. Each applies only to an account whose strict switch names it
(`settings.strict`); see "Strict mode" in tests/testcloud/README.md.

- `apigw_stage_propagation`: CreateBasePathMapping within the window after the stage's
  CreateStage is BadRequestException "Invalid stage identifier specified" (AWS's stage is not
  visible to the domain-name service at once; Terraform retries this for 30 s).
- `apigw_duplicate_errors`: AWS's codes and messages for duplicates: CreateDomainName of an
  existing name is BadRequestException "The domain name you provided already exists."
  [lenient: ConflictException]; PutMethod of an existing method is ConflictException "Method
  already exists for this resource" [moto: overwrites]; CreateBasePathMapping of an existing
  base path (the root "(none)" included) is ConflictException "Base path already exists for this
  domain name" [moto: overwrites the root].
- `apigw_rate_limits`: per-account, per-region token buckets on GetResources, CreateDeployment
  and the domain-name calls (Create/Update/Delete/GetDomainName): an empty bucket answers HTTP 429
  TooManyRequestsException "Too Many Requests". AWS: GetResources 5 requests every 2 s,
  CreateDeployment 1 every 5 s, DeleteDomainName 1 every 30 s; the defaults here are faster
  (see RATE_LIMITS) so tests stay fast; MERIDIAN_TESTCLOUD_APIGW_RATE_LIMITS overrides them at
  start ("get_resources=2.5/5,create_deployment=0.5/2": refill per second / burst).
- `apigw_domain_update_lag`: GetDomainName within the window after UpdateDomainName answers the
  values from before the update with domainNameStatus AVAILABLE, then the new ones.

Always on (AWS behaviour, not a quirk): CreateResource with a parent and path part that already
exist in the API is ConflictException "Another resource with the same parent already has this
name: PART" [moto: makes a second resource with the same path].
"""

import copy
import json
import os
import time
from typing import Any
from urllib.parse import unquote

from moto.apigateway.exceptions import (
    ApiGatewayException,
    BadRequestException,
    ConflictException,
)
from moto.apigateway.models import APIGatewayBackend, Resource
from moto.apigateway.responses import APIGatewayResponse

from . import settings


class TooManyRequestsException(ApiGatewayException):
    code = 429

    def __init__(self) -> None:
        super().__init__("TooManyRequestsException", "Too Many Requests")


#: Token buckets of `apigw_rate_limits`: name -> (tokens refilled per second, burst).
RATE_LIMITS: dict[str, tuple[float, float]] = {
    "get_resources": (2.5, 5.0),
    "create_deployment": (1.0, 3.0),
    "domain_names": (2.0, 5.0),
}

_buckets: dict[tuple[str, str, str], tuple[float, float]] = {}  # key -> (tokens, at)
_stages: dict[tuple[str, str, str, str], float] = {}  # (account, region, api, stage) -> created at
_stale_domains: dict[tuple[str, str, str], tuple[float, dict]] = {}  # -> (until, old json)


def reset_state() -> None:
    with settings.LOCK:
        _buckets.clear()
        _stages.clear()
        _stale_domains.clear()


def load_env() -> None:
    """Read MERIDIAN_TESTCLOUD_APIGW_RATE_LIMITS ("name=rate/burst,...") over the defaults."""
    for item in filter(None, os.environ.get("MERIDIAN_TESTCLOUD_APIGW_RATE_LIMITS", "").split(",")):
        name, _, value = item.partition("=")
        rate, _, burst = value.partition("/")
        if name.strip() not in RATE_LIMITS:
            raise ValueError(f"unknown API Gateway rate limit {name!r}; known: {', '.join(RATE_LIMITS)}")
        RATE_LIMITS[name.strip()] = (float(rate), float(burst or rate))


def take(account_id: str, region: str, bucket: str) -> None:
    """Takes a token of `bucket` for the account in `region`, or raises TooManyRequests."""
    if not settings.strict(account_id, "apigw_rate_limits"):
        return
    rate, burst = RATE_LIMITS[bucket]
    key = (account_id, region, bucket)
    now = time.monotonic()
    with settings.LOCK:
        tokens, at = _buckets.get(key, (burst, now))
        tokens = min(burst, tokens + (now - at) * rate)
        if tokens < 1.0:
            _buckets[key] = (tokens, now)
            raise TooManyRequestsException()
        _buckets[key] = (tokens - 1.0, now)


def _limited(orig: Any, bucket: str) -> Any:
    def limited(self: APIGatewayBackend, *args: Any, **kwargs: Any) -> Any:
        take(self.account_id, self.region_name, bucket)
        return orig(self, *args, **kwargs)

    return limited


def install() -> None:
    load_env()
    backend = APIGatewayBackend

    for name, bucket in (
        ("get_resources", "get_resources"),
        ("create_deployment", "create_deployment"),
        ("update_domain_name", "domain_names"),
        ("delete_domain_name", "domain_names"),
    ):
        setattr(backend, name, _limited(getattr(backend, name), bucket))

    # Duplicate resources: AWS refuses them in every mode.
    orig_create_resource = backend.create_resource

    def create_resource(self: APIGatewayBackend, api_id: str, parent_id: str, path_part: str) -> Resource:
        if path_part:
            api = self.get_rest_api(api_id)
            for r in list(api.resources.values()):
                if r.parent_id == parent_id and r.path_part == path_part:
                    raise ConflictException(
                        f"Another resource with the same parent already has this name: {path_part}"
                    )
        return orig_create_resource(self, api_id, parent_id, path_part)

    backend.create_resource = create_resource

    orig_create_domain = backend.create_domain_name

    def create_domain_name(self: APIGatewayBackend, *args: Any, **kwargs: Any) -> Any:
        take(self.account_id, self.region_name, "domain_names")
        name = args[0] if args else kwargs.get("domain_name")
        if name in self.domain_names and settings.strict(self.account_id, "apigw_duplicate_errors"):
            raise BadRequestException("The domain name you provided already exists.")
        return orig_create_domain(self, *args, **kwargs)

    backend.create_domain_name = create_domain_name

    orig_put_method = backend.put_method

    def put_method(self: APIGatewayBackend, api_id: str, resource_id: str, verb: str, *args: Any, **kwargs: Any) -> Any:
        if settings.strict(self.account_id, "apigw_duplicate_errors"):
            resource = self.get_resource(api_id, resource_id)
            if verb in resource.resource_methods:
                raise ConflictException("Method already exists for this resource")
        return orig_put_method(self, api_id, resource_id, verb, *args, **kwargs)

    backend.put_method = put_method

    orig_create_stage = backend.create_stage

    def create_stage(self: APIGatewayBackend, api_id: str, name: str, *args: Any, **kwargs: Any) -> Any:
        stage = orig_create_stage(self, api_id, name, *args, **kwargs)
        with settings.LOCK:
            _stages[(self.account_id, self.region_name, api_id, name)] = time.monotonic()
        return stage

    backend.create_stage = create_stage

    orig_create_mapping = backend.create_base_path_mapping

    def create_base_path_mapping(self: APIGatewayBackend, domain_name: str, api_id: str, base_path: str, stage: str) -> Any:
        account = self.account_id
        window = settings.window(account, "apigw_stage_propagation")
        with settings.LOCK:
            created = _stages.get((account, self.region_name, api_id, stage))
        if stage and created is not None and time.monotonic() < created + window:
            raise BadRequestException("Invalid stage identifier specified")
        if settings.strict(account, "apigw_duplicate_errors") and domain_name in self.domain_names:
            key = base_path or "(none)"
            if key in self.base_path_mappings.get(domain_name, {}):
                raise ConflictException("Base path already exists for this domain name")
        return orig_create_mapping(self, domain_name, api_id, base_path, stage)

    backend.create_base_path_mapping = create_base_path_mapping

    # The domain update lag: remember what GetDomainName showed before the update.
    orig_update_domain = backend.update_domain_name

    def update_domain_name(self: APIGatewayBackend, name: str, ops: list) -> Any:
        window = settings.window(self.account_id, "apigw_domain_update_lag")
        before = copy.deepcopy(self.get_domain_name(name).to_json()) if window > 0 else None
        domain = orig_update_domain(self, name, ops)
        if before is not None:
            before["domainNameStatus"] = "AVAILABLE"
            before.pop("domainNameStatusMessage", None)
            with settings.LOCK:
                _stale_domains[(self.account_id, self.region_name, name)] = (
                    time.monotonic() + window,
                    before,
                )
        return domain

    backend.update_domain_name = update_domain_name

    orig_get_domain_response = APIGatewayResponse.get_domain_name

    def get_domain_name_response(self: APIGatewayResponse) -> Any:
        backend_ = self.backend
        take(backend_.account_id, backend_.region_name, "domain_names")
        key = (backend_.account_id, backend_.region_name, unquote(self.path.split("/")[2]))
        with settings.LOCK:
            stale = _stale_domains.get(key)
        if stale is not None and time.monotonic() < stale[0]:
            backend_.get_domain_name(key[2])  # NotFoundException once deleted
            return json.dumps(stale[1])
        return orig_get_domain_response(self)

    APIGatewayResponse.get_domain_name = get_domain_name_response

    orig_delete_domain = backend.delete_domain_name

    def delete_domain_name(self: APIGatewayBackend, name: str) -> Any:
        result = orig_delete_domain(self, name)
        with settings.LOCK:
            _stale_domains.pop((self.account_id, self.region_name, name), None)
        return result

    backend.delete_domain_name = delete_domain_name
