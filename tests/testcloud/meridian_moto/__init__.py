"""Meridian's extensions to moto's server: patches that make moto behave like AWS where
Meridian's providers depend on it. Each module documents the AWS behaviour it reproduces and
the moto gap it closes; tests/testcloud/README.md lists them all. `install()` applies every patch and
must run in the server process before the first request.
"""

from . import (
    accounts,
    acm,
    apigateway,
    apigateway_tags,
    apigateway_updates,
    awslambda,
    dynamodb,
    httpapi,
    iam,
    route53,
    settings,
    strict_iam,
    strict_lambda,
    strict_logs,
    strict_quotas,
    strict_tags,
    strict_apigateway,
    strict_route53,
    sts,
)

#: Names reported by GET /meridian-testcloud/health.
EXTENSIONS = [
    "accounts",
    "iam",
    "dynamodb",
    "acm",
    "apigateway",
    "apigateway_tags",
    "apigateway_updates",
    "lambda",
    "route53",
    "strict_iam",
    "strict_lambda",
    "strict_logs",
    "strict_tags",
    "strict_quotas",
    "strict_apigateway",
    "strict_route53",
    "sts",
]

_installed = False


def install() -> None:
    """Apply every patch (idempotent)."""
    global _installed
    if _installed:
        return
    settings.load_env()
    accounts.install()
    iam.install()
    dynamodb.install()
    acm.install()
    apigateway.install()
    apigateway_tags.install()
    apigateway_updates.install()
    awslambda.install()
    route53.install()
    # Strict mode (off unless switched on): after the patches above, so that they wrap them.
    strict_iam.install()
    strict_lambda.install()
    strict_logs.install()
    strict_tags.install()
    strict_quotas.install()
    strict_apigateway.install()
    strict_route53.install()
    sts.install()

    # Lambda: the docker-free "simple" backend, before any function exists (there is no
    # Docker daemon here; the docker backend's invoke returns an error payload).
    from moto.core.config import default_user_config

    default_user_config["lambda"]["use_docker"] = False

    # POST /moto-api/reset also clears the extensions' own state (delay settings stay).
    from moto.moto_api._internal.models import MotoAPIBackend

    orig_reset = MotoAPIBackend.reset

    def reset(self: MotoAPIBackend) -> None:
        with settings.LOCK:
            orig_reset(self)
            dynamodb.reset_state()
            route53.reset_state()
            strict_apigateway.reset_state()

    MotoAPIBackend.reset = reset
    _installed = True
