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

#: One lock for all extension state; moto's server is threaded.
LOCK = threading.RLock()

_global: dict[str, float] = {}
_accounts: dict[str, dict[str, float]] = {}


def load_env() -> None:
    """Read MERIDIAN_TESTCLOUD_DELAY_<NAME> variables into the global defaults."""
    for name in DELAYS:
        raw = os.environ.get("MERIDIAN_TESTCLOUD_DELAY_" + name.upper())
        if raw not in (None, ""):
            _global[name] = _check(name, raw)


def _check(name: str, value: object) -> float:
    if name not in DELAYS:
        raise ValueError(f"unknown delay {name!r}; known: {', '.join(sorted(DELAYS))}")
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
        }
