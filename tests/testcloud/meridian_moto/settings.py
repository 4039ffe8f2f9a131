"""Delay settings of the Meridian test cloud, global and per account.

Every delay is in seconds and defaults to 0 (fast tests: final states at once).
A delay is read when the operation it governs starts (a table create, a replica
change, an update, ...), so changing it later does not move an operation that is
already under way.

Sources, in order of precedence:
1. per-account values set at runtime: POST /meridian-testcloud/config with
   {"account_id": "111122223333", "delays": {"table_create": 2}};
2. global values set at runtime: the same POST without "account_id";
3. environment variables read at start: MERIDIAN_TESTCLOUD_DELAY_<NAME>=<seconds>
   (e.g. MERIDIAN_TESTCLOUD_DELAY_TABLE_CREATE=2);
4. 0.

Strict mode (AWS's quirks, off by default) is switched the same way, per named quirk:
1. per account: POST /meridian-testcloud/config with {"account_id": "...", "strict": true}
   (every quirk), false (none), or a list of quirk names;
2. globally: the same POST without "account_id";
3. at start: MERIDIAN_TESTCLOUD_STRICT=1 (every quirk) or a comma-separated list of names
   (`scripts/testcloud start --strict` sets it).
A quirk that lasts a while after a create (an eventual-consistency window) lasts
`window(account, delay_name)` seconds: the delay of that name if one was set, else
MERIDIAN_TESTCLOUD_STRICT_WINDOW (default 2 s), and 0 when the quirk is off.
"""

import os
import threading

#: Every delay name, with what it governs.
DELAYS: dict[str, str] = {
    "table_create": "DynamoDB CreateTable: TableStatus CREATING -> ACTIVE",
    "replica_create": "DynamoDB replica add: ReplicaStatus CREATING -> ACTIVE (table UPDATING meanwhile)",
    "replica_delete": "DynamoDB replica removal: ReplicaStatus DELETING -> gone",
    "replication": "DynamoDB global tables: item write in one region -> visible in the others",
    "ddb_item_write": "DynamoDB item write: pause between reading the current item and writing it"
    " (racing conditional writes must still be atomic)",
    "acm_record": "ACM RequestCertificate -> DomainValidationOptions[].ResourceRecord present",
    "acm_issue": "ACM validation CNAME present in Route 53 -> certificate ISSUED",
    "apigw_domain": "API Gateway CreateDomainName: domainNameStatus PENDING -> AVAILABLE",
    "lambda_create": "Lambda CreateFunction: State Pending -> Active",
    "lambda_update": "Lambda UpdateFunctionCode/Configuration: LastUpdateStatus InProgress -> Successful",
    "route53_change": "Route 53 change (zone create, record change): GetChange PENDING -> INSYNC",
}

#: Every AWS behaviour the strict mode reproduces, by name, with what it does. The modules that
#: implement them check `strict(account_id, name)`; tests/testcloud/README.md lists them too.
QUIRKS: dict[str, str] = {
    "iam_read_after_create": "GetRole within the window after CreateRole: NoSuchEntity, then once the"
    " role's unique id (AROA...) where the ARN belongs",
    "lambda_role_propagation": "CreateFunction with a role created within the window:"
    " InvalidParameterValueException (cannot be assumed by Lambda; with environment variables,"
    " the KMS CreateGrant message)",
    "lambda_read_after_create": "GetFunction within the window after CreateFunction: ResourceNotFoundException",
    "logs_read_after_create": "DescribeLogGroups within the window after CreateLogGroup: the group is not listed",
    "apigw_stage_propagation": "CreateBasePathMapping within the window after CreateStage:"
    " BadRequestException 'Invalid stage identifier specified'",
    "apigw_duplicate_errors": "AWS's codes and messages for duplicates: CreateDomainName"
    " BadRequestException 'The domain name you provided already exists.', PutMethod and"
    " CreateBasePathMapping ConflictException",
    "apigw_rate_limits": "per-account rate limits on GetResources, CreateDeployment and domain-name"
    " calls: TooManyRequestsException",
    "apigw_domain_update_lag": "GetDomainName within the window after UpdateDomainName: the old values",
    "route53_validation": "ChangeResourceRecordSets validation: InvalidChangeBatch for an unquoted TXT"
    " value, a CNAME beside other records, mixed routing policies",
    "tag_rules": "AWS's tag rules (key <= 128, value <= 256 characters from letters, digits,"
    " spaces and _.:/=+-@) on every service's tagging calls",
    "acm_quota": "ACM RequestCertificate beyond the account's certificate quota: LimitExceededException",
    "dynamodb_quota": "DynamoDB CreateTable beyond the table quota: LimitExceededException (final);"
    " too many simultaneous table operations: LimitExceededException (retryable)",
}

#: Per-account quotas of the strict mode (a count, not seconds), with their defaults. They are set
#: like delays (POST /meridian-testcloud/config {"delays": {"acm_certificates": 3}}) and read
#: with `limit()`; kept small so that a test can reach them.
LIMITS: dict[str, tuple[int, str]] = {
    "acm_certificates": (20, "ACM certificates per account and region (quirk acm_quota)"),
    "dynamodb_tables": (20, "DynamoDB tables per account and region (quirk dynamodb_quota)"),
    "dynamodb_table_operations": (
        4,
        "DynamoDB tables CREATING, UPDATING or DELETING at once per account and region (quirk dynamodb_quota)",
    ),
}

_strict_global: set[str] = set()
_strict_accounts: dict[str, set[str]] = {}

#: One lock for all extension state; moto's server is threaded.
LOCK = threading.RLock()

_global: dict[str, float] = {}
_accounts: dict[str, dict[str, float]] = {}


def load_env() -> None:
    """Read MERIDIAN_TESTCLOUD_DELAY_<NAME> and MERIDIAN_TESTCLOUD_STRICT into the global defaults."""
    _strict_global.clear()
    _strict_global.update(_quirks(os.environ.get("MERIDIAN_TESTCLOUD_STRICT", "")))
    for name in DELAYS:
        raw = os.environ.get("MERIDIAN_TESTCLOUD_DELAY_" + name.upper())
        if raw not in (None, ""):
            _global[name] = _check(name, raw)


def _check(name: str, value: object) -> float:
    if name not in DELAYS and name not in LIMITS:
        raise ValueError(f"unknown delay {name!r}; known: {', '.join(sorted([*DELAYS, *LIMITS]))}")
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"delay {name!r} must be a number of seconds, got {value!r}")
    if seconds < 0 or seconds != seconds:
        raise ValueError(f"delay {name!r} must be >= 0, got {value!r}")
    return seconds


def delay(account_id: str | None, name: str) -> float:
    """The delay `name` in force for `account_id` (seconds)."""
    with LOCK:
        if account_id is not None and name in _accounts.get(account_id, {}):
            return _accounts[account_id][name]
        return _global.get(name, 0.0)


def limit(account_id: str | None, name: str) -> int:
    """The quota `name` (one of LIMITS) in force for `account_id`."""
    with LOCK:
        if account_id is not None and name in _accounts.get(account_id, {}):
            return int(_accounts[account_id][name])
        return int(_global.get(name, LIMITS[name][0]))


def update(account_id: str | None, delays: dict, clear: bool = False) -> dict[str, float]:
    """Merge `delays` into the account's (or the global) settings; returns the effective delays.

    With clear=True the account's (or global runtime) overrides are dropped first.
    Raises ValueError on an unknown name or a bad value (nothing is changed then).
    """
    checked = {name: _check(name, value) for name, value in (delays or {}).items()}
    with LOCK:
        target = _global if account_id is None else _accounts.setdefault(account_id, {})
        if clear:
            target.clear()
            if account_id is None:
                load_env()
        target.update(checked)
        return effective(account_id)


def _quirks(value: object) -> set[str]:
    """Quirk names from a switch: true/"1"/"all" = every quirk, false/""/"0" = none, or names."""
    if value is True or value in ("1", "all", "true"):
        return set(QUIRKS)
    if value is False or value is None or value in ("", "0", "false"):
        return set()
    names = [n.strip() for n in value.split(",")] if isinstance(value, str) else value
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ValueError(f"strict must be true, false or a list of quirk names, got {value!r}")
    unknown = [n for n in names if n and n not in QUIRKS]
    if unknown:
        raise ValueError(f"unknown quirk {unknown[0]!r}; known: {', '.join(sorted(QUIRKS))}")
    return {n for n in names if n}


def set_strict(account_id: str | None, value: object) -> list[str]:
    """Switch the account's (or the global) quirks; returns the quirks now on for it."""
    quirks = _quirks(value)
    with LOCK:
        if account_id is None:
            _strict_global.clear()
            _strict_global.update(quirks)
        else:
            _strict_accounts[account_id] = quirks
        return strict_quirks(account_id)


def strict_quirks(account_id: str | None) -> list[str]:
    """The quirks on for `account_id` (an account's own switch wins over the global one)."""
    with LOCK:
        if account_id is not None and account_id in _strict_accounts:
            return sorted(_strict_accounts[account_id])
        return sorted(_strict_global)


def strict(account_id: str | None, quirk: str) -> bool:
    """Is the AWS quirk `quirk` reproduced for `account_id`?"""
    assert quirk in QUIRKS, f"unknown quirk {quirk!r}"
    return quirk in strict_quirks(account_id)


def strict_window_default() -> float:
    raw = os.environ.get("MERIDIAN_TESTCLOUD_STRICT_WINDOW", "")
    return float(raw) if raw else 2.0


def window(account_id: str | None, quirk: str, delay_name: str | None = None) -> float:
    """How long (seconds) the quirk's eventual-consistency window lasts for `account_id`:
    0 when the quirk is off; else the delay `delay_name` if one was set, else the default."""
    if not strict(account_id, quirk):
        return 0.0
    with LOCK:
        if delay_name is not None:
            if account_id is not None and delay_name in _accounts.get(account_id, {}):
                return _accounts[account_id][delay_name]
            if delay_name in _global:
                return _global[delay_name]
    return strict_window_default()


def effective(account_id: str | None) -> dict[str, float]:
    """All delays in force for `account_id` (or the global defaults)."""
    return {name: delay(account_id, name) for name in DELAYS}


def snapshot() -> dict:
    """The whole configuration, for GET /meridian-testcloud/config."""
    with LOCK:
        return {
            "global": effective(None),
            "accounts": {acct: dict(values) for acct, values in _accounts.items()},
            "delay_names": dict(DELAYS),
            "strict": {
                "global": sorted(_strict_global),
                "accounts": {acct: sorted(q) for acct, q in _strict_accounts.items()},
                "quirks": dict(QUIRKS),
            },
        }
