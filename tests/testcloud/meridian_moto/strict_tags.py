"""Strict mode, tags: AWS's tag rules on every tagging call Meridian makes (quirk `tag_rules`).

AWS behaviour reproduced: a tag key is 1 to 128 characters, a value 0 to 256, both from
Unicode letters, digits, spaces and `_.:/=+-@` (`[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*`). A tag
outside the rules fails the whole call with each service's own error:
IAM ValidationError (CreateRole, TagRole), Lambda InvalidParameterValueException (CreateFunction,
TagResource), ACM ValidationException (RequestCertificate, AddTagsToCertificate), CloudWatch Logs
InvalidParameterException (CreateLogGroup, TagLogGroup, TagResource), DynamoDB
ValidationException (CreateTable, TagResource), API Gateway BadRequestException (CreateRestApi,
CreateStage, CreateDomainName, TagResource).
[moto: IAM checks keys and value lengths only; the other services check nothing]
"""

import unicodedata
from typing import Any, Callable

from . import settings

QUIRK = "tag_rules"
PATTERN = "[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*"
PUNCTUATION = set("_.:/=+-@")


def allowed(c: str) -> bool:
    """Is `c` a character AWS accepts in a tag (a letter, a digit, a space, `_.:/=+-@`)?"""
    category = unicodedata.category(c)
    return category[0] in ("L", "N", "Z") or c in PUNCTUATION


def tag_problem(tags: Any) -> str | None:
    """AWS's validation message for the first tag outside the rules, or None.

    `tags` is a list of {"Key", "Value"} or a key -> value mapping (as each service sends them)."""
    if isinstance(tags, dict):
        pairs = list(tags.items())
    else:
        pairs = [(t.get("Key", ""), t.get("Value", "")) for t in tags or []]
    for i, (key, value) in enumerate(pairs, start=1):
        key, value = key or "", value or ""
        for what, text, low, high in (("key", key, 1, 128), ("value", value, 0, 256)):
            where = f"tags.{i}.member.{what}"
            if not low <= len(text) <= high:
                bound = f"less than or equal to {high}" if len(text) > high else f"greater than or equal to {low}"
                return (
                    f"1 validation error detected: Value '{text}' at '{where}' failed to satisfy "
                    f"constraint: Member must have length {bound}"
                )
            if not all(allowed(c) for c in text):
                return (
                    f"1 validation error detected: Value '{text}' at '{where}' failed to satisfy "
                    f"constraint: Member must satisfy regular expression pattern: {PATTERN}"
                )
    return None


def _guard(cls: type, method: str, tags_of: Callable[[Any], Any], error: Callable[[str], Exception]) -> None:
    """Check the tags of `cls.method`'s request (read by `tags_of(response)`) before it runs."""
    original = getattr(cls, method)

    def guarded(self: Any, *args: Any, **kwargs: Any) -> Any:
        if settings.strict(self.current_account, QUIRK):
            problem = tag_problem(tags_of(self))
            if problem:
                raise error(problem)
        return original(self, *args, **kwargs)

    setattr(cls, method, guarded)


def install() -> None:
    from moto.acm.exceptions import AWSValidationException
    from moto.acm.responses import AWSCertificateManagerResponse
    from moto.apigateway.exceptions import BadRequestException
    from moto.apigateway.responses import APIGatewayResponse
    from moto.awslambda.exceptions import InvalidParameterValueException
    from moto.awslambda.responses import LambdaResponse
    from moto.dynamodb.exceptions import MockValidationException
    from moto.dynamodb.responses import DynamoHandler
    from moto.iam.exceptions import ValidationError
    from moto.iam.responses import IamResponse
    from moto.logs.exceptions import InvalidParameterException
    from moto.logs.responses import LogsResponse

    def param(name: str) -> Callable[[Any], Any]:
        return lambda r: r._get_param(name)

    for method in ("create_role", "tag_role"):
        _guard(IamResponse, method, param("Tags"), ValidationError)
    for method in ("create_function", "tag_resource"):
        _guard(LambdaResponse, method, lambda r: (r.json_body or {}).get("Tags"), InvalidParameterValueException)
    for method in ("request_certificate", "add_tags_to_certificate"):
        _guard(AWSCertificateManagerResponse, method, param("Tags"), lambda m: AWSValidationException(m))
    for method in ("create_log_group", "tag_log_group", "tag_resource"):
        _guard(LogsResponse, method, param("tags"), lambda m: InvalidParameterException(msg=m))
    for method in ("create_table", "tag_resource"):
        _guard(DynamoHandler, method, lambda r: r.body.get("Tags"), MockValidationException)
    for method in ("create_rest_api", "create_stage", "create_domain_name", "tag_resource"):
        _guard(APIGatewayResponse, method, param("tags"), BadRequestException)
