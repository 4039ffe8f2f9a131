"""Strict mode, CloudWatch Logs: a new log group is not listed at once (quirk `logs_read_after_create`).

AWS behaviour reproduced: DescribeLogGroups is eventually consistent; right after
CreateLogGroup the new group can be missing from the list. Here, while the quirk is on for the
account, DescribeLogGroups leaves out every group created less than
`window(account, "logs_read_after_create")` seconds ago.
[moto: listed at once]
"""

import time
from typing import Any

from moto.logs.models import LogGroup, LogsBackend

from . import settings

QUIRK = "logs_read_after_create"


def install() -> None:
    orig_create = LogsBackend.create_log_group

    def create_log_group(self: LogsBackend, *args: Any, **kwargs: Any) -> LogGroup:
        group = orig_create(self, *args, **kwargs)
        group._mtc_created_at = time.time()
        return group

    LogsBackend.create_log_group = create_log_group

    orig_describe = LogsBackend.describe_log_groups

    def describe_log_groups(self: LogsBackend, *args: Any, **kwargs: Any) -> Any:
        groups, next_token = orig_describe(self, *args, **kwargs)
        window = settings.window(self.account_id, QUIRK)
        if window:
            now = time.time()
            groups = [g for g in groups if now >= getattr(g, "_mtc_created_at", 0.0) + window]
        return groups, next_token

    LogsBackend.describe_log_groups = describe_log_groups
