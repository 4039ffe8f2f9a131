"""DynamoDB: table CREATING -> ACTIVE, and global tables version 2019.11.21.

AWS behaviour reproduced (moto gap in brackets):
- CreateTable returns CREATING; the table turns ACTIVE later [moto: ACTIVE at once].
  UpdateTable on a table that is not ACTIVE is a ResourceInUseException.
- UpdateTable ReplicaUpdates [moto: silently ignored]:
  * Create {RegionName}: creates the replica table in that region (same keys, indexes,
    billing mode, streams NEW_AND_OLD_IMAGES, a copy of the items); ReplicaStatus CREATING ->
    ACTIVE after `replica_create`; the tables in the other regions are UPDATING meanwhile and
    the new replica's own TableStatus is CREATING.
  * Delete {RegionName}: ReplicaStatus DELETING, then the replica table disappears
    after `replica_delete`.
  * Update {RegionName}: accepted for an existing replica (no settings are emulated).
  * Rejected as AWS rejects them: more than one replica change per request (ValidationException),
    a change while another is under way (ResourceInUseException), streams not
    NEW_AND_OLD_IMAGES (ValidationException), the table's own region (ValidationException),
    a region that already has a table of that name (ValidationException), deleting a region
    that is not a replica (ValidationException).
- DescribeTable in any member region lists Replicas (every region, the local one included) and
  GlobalTableVersion 2019.11.21.
- Item writes (put, update, delete, transactions, batch writes: everything that produces a
  stream record) are replicated to the other member regions after `replication` seconds
  (applied lazily, at the next DynamoDB request of the account).
- DeleteTable of a member while a replica change is under way is a ResourceInUseException;
  otherwise it removes that region from the global table (the others stay).
- DeleteTable answers TableStatus DELETING [moto: ACTIVE].
- A conditional write checks its condition and writes atomically [moto's threaded server: two
  racing writes can both pass the check, a "create if absent" can succeed twice and a
  conditional update can be lost]. Item writes are serialised per account; the delay
  `ddb_item_write` pauses each between reading the current item and writing, for tests.
"""

import copy
import threading
import time
from typing import Any

from moto.dynamodb.exceptions import MockValidationException, ResourceInUseException
from moto.dynamodb.models import DynamoDBBackend, dynamodb_backends
from moto.dynamodb.models.table import StreamShard, Table
from moto.dynamodb.responses import DynamoHandler

from . import settings

GLOBAL_TABLE_VERSION = "2019.11.21"
_tls = threading.local()


class Member:
    """One region's table in a global table, with its replica status."""

    def __init__(self, table: Table, state: str, until: float):
        self.table = table
        self.state = state  # ACTIVE, CREATING or DELETING
        self.until = until  # when CREATING/DELETING ends

    def status(self, now: float) -> str:
        if self.state == "CREATING" and now >= self.until:
            self.state = "ACTIVE"
        return self.state


class Group:
    """A global table: the same table name in several regions of one account."""

    def __init__(self, account_id: str, name: str):
        self.account_id = account_id
        self.name = name
        self.members: dict[str, Member] = {}
        # replication events not yet applied: (due, source region, key, new item or None)
        self.pending: list[tuple[float, str, tuple, Any]] = []

    def busy(self, now: float) -> bool:
        return any(m.status(now) in ("CREATING", "DELETING") for m in self.members.values())


_groups: dict[tuple[str, str], Group] = {}


#: One lock per account for item writes (taken before settings.LOCK, never after).
_item_locks: dict[str, threading.RLock] = {}


def _item_lock(account_id: str) -> threading.RLock:
    with settings.LOCK:
        return _item_locks.setdefault(account_id, threading.RLock())


def reset_state() -> None:
    with settings.LOCK:
        _groups.clear()


def _group_of(table: Table) -> Group | None:
    group = _groups.get((table.account_id, table.name))
    if group is None:
        return None
    member = group.members.get(table.region_name)
    if member is None or member.table is not table:
        return None
    return group


def _item_key(item: Any) -> tuple:
    return (item.hash_key, item.range_key)


def _write(table: Table, key: tuple, item: Any) -> None:
    """Apply a replicated write to `table` (item None = delete), emitting its stream record."""
    hash_key, range_key = key
    if range_key is not None:
        old = table.items.get(hash_key, {}).get(range_key)
        if item is None:
            if old is not None:
                del table.items[hash_key][range_key]
        else:
            table.items[hash_key][range_key] = item
    else:
        old = table.items.get(hash_key)
        if item is None:
            table.items.pop(hash_key, None)
        else:
            table.items[hash_key] = item
    if table.stream_shard is not None and (old is not None or item is not None):
        _tls.replicating = True
        try:
            table.stream_shard.add(old, item)
        finally:
            _tls.replicating = False


def _apply(group: Group, source: str, key: tuple, item: Any) -> None:
    for region, member in group.members.items():
        if region != source and member.state != "DELETING":
            _write(member.table, key, copy.deepcopy(item))


def settle(account_id: str) -> None:
    """Bring the account's global tables up to date: finish due deletions, apply due writes."""
    now = time.time()
    with settings.LOCK:
        for key, group in list(_groups.items()):
            if group.account_id != account_id:
                continue
            for region, member in list(group.members.items()):
                if member.state == "DELETING" and now >= member.until:
                    tables = dynamodb_backends[account_id][region].tables
                    if tables.get(group.name) is member.table:
                        del tables[group.name]
                    del group.members[region]
            due = [e for e in group.pending if e[0] <= now]
            group.pending = [e for e in group.pending if e[0] > now]
            for _, source, item_key, item in due:
                _apply(group, source, item_key, item)
            if len(group.members) <= 1 and not group.busy(now):
                del _groups[key]


def table_status(table: Table) -> str:
    """TableStatus as AWS would report it now."""
    if getattr(table, "_mtc_deleted", False):
        return "DELETING"
    now = time.time()
    group = _group_of(table)
    if group is not None:
        own = group.members[table.region_name].status(now)
        if own in ("CREATING", "DELETING"):
            return own
        if group.busy(now):
            return "UPDATING"
    if now < getattr(table, "_mtc_ready_at", 0.0):
        return "CREATING"
    return "ACTIVE"


def _replica(table: Table, region: str) -> Table:
    """A new table in `region` shaped like `table`, with a copy of its items."""
    throughput = None
    if table.billing_mode == "PROVISIONED":
        throughput = {
            "ReadCapacityUnits": table.throughput.get("ReadCapacityUnits", 0),
            "WriteCapacityUnits": table.throughput.get("WriteCapacityUnits", 0),
        }
    replica = Table(
        table.name,
        account_id=table.account_id,
        region=region,
        schema=copy.deepcopy(table.schema),
        attr=copy.deepcopy(table.attr),
        throughput=throughput,
        billing_mode=table.billing_mode,
        streams={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        sse_specification=copy.deepcopy(table.sse_specification),
    )
    replica.indexes = copy.deepcopy(table.indexes)
    replica.global_indexes = copy.deepcopy(table.global_indexes)
    replica.items = copy.deepcopy(table.items)
    return replica


def _known_region(account_id: str, region: str) -> bool:
    try:
        dynamodb_backends[account_id][region]
    except KeyError:
        return False
    return True


def replica_updates(backend: DynamoDBBackend, name: str, updates: list, body: dict) -> None:
    """Validate and start the replica change of an UpdateTable request."""
    with settings.LOCK:
        table = backend.get_table(name)
        name = table.name
        if len(updates) != 1:
            raise MockValidationException(
                "One or more parameter values were invalid: Only one replica update is "
                "allowed per UpdateTable request; add or remove replicas one at a time"
            )
        (update,) = updates
        actions = [a for a in ("Create", "Update", "Delete") if update.get(a)]
        if len(actions) != 1 or not update[actions[0]].get("RegionName"):
            raise MockValidationException(
                "One or more parameter values were invalid: a ReplicaUpdate must have exactly one of "
                "Create, Update or Delete, with a RegionName"
            )
        action = actions[0]
        region = update[action]["RegionName"]
        if region == backend.region_name:
            raise MockValidationException(
                "Cannot add, delete, or update the local region through ReplicaUpdates. "
                "Use CreateTable, DeleteTable, or UpdateTable as required."
            )
        now = time.time()
        group = _group_of(table)
        if action == "Create":
            spec = body.get("StreamSpecification") or table.stream_specification or {}
            if not spec.get("StreamEnabled", bool(spec.get("StreamViewType"))) or spec.get(
                "StreamViewType"
            ) != "NEW_AND_OLD_IMAGES":
                raise MockValidationException(
                    "One or more parameter values were invalid: Table must have DynamoDB Streams "
                    "enabled with StreamViewType NEW_AND_OLD_IMAGES to add replicas "
                    f"(table: {name})"
                )
            if not _known_region(table.account_id, region):
                raise MockValidationException(f"Invalid region: {region}")
            if name in dynamodb_backends[table.account_id][region].tables:
                raise MockValidationException(
                    f"Failed to create a the new replica of table with name: '{name}' because "
                    "one or more replicas already existed as tables."
                )
            if group is None:
                group = Group(table.account_id, name)
                group.members[backend.region_name] = Member(table, "ACTIVE", now)
                _groups[(table.account_id, name)] = group
            replica = _replica(table, region)
            dynamodb_backends[table.account_id][region].tables[name] = replica
            wait = settings.delay(table.account_id, "replica_create")
            group.members[region] = Member(replica, "CREATING" if wait > 0 else "ACTIVE", now + wait)
        else:
            if group is None or region not in group.members:
                raise MockValidationException(
                    "Replica specified in the Replica Update or Replica Delete action of the "
                    "request was not found."
                )
            if action == "Delete":
                wait = settings.delay(table.account_id, "replica_delete")
                group.members[region].state = "DELETING"
                group.members[region].until = now + wait
                if wait <= 0:
                    settle(table.account_id)


def install() -> None:
    orig_describe = Table.describe

    def describe(self: Table, base_key: str = "TableDescription") -> dict[str, Any]:
        result = orig_describe(self, base_key)
        desc = result[base_key]
        with settings.LOCK:
            desc["TableStatus"] = table_status(self)
            group = _group_of(self)
            if group is not None:
                now = time.time()
                desc["GlobalTableVersion"] = GLOBAL_TABLE_VERSION
                desc["Replicas"] = [
                    {"RegionName": region, "ReplicaStatus": member.status(now)}
                    for region, member in group.members.items()
                ]
        return result

    Table.describe = describe

    orig_add = StreamShard.add

    def add(self: StreamShard, old: Any, new: Any) -> None:
        orig_add(self, old, new)
        if getattr(_tls, "replicating", False):
            return
        table = self.table
        with settings.LOCK:
            group = _group_of(table)
            if group is None:
                return
            item = copy.deepcopy(new) if new is not None else None
            key = _item_key(new if new is not None else old)
            wait = settings.delay(table.account_id, "replication")
            if wait <= 0:
                _apply(group, table.region_name, key, item)
            else:
                group.pending.append((time.time() + wait, table.region_name, key, item))

    StreamShard.add = add

    orig_create = DynamoDBBackend.create_table

    def create_table(self: DynamoDBBackend, name: str, *args: Any, **kwargs: Any) -> Table:
        table = orig_create(self, name, *args, **kwargs)
        table._mtc_ready_at = time.time() + settings.delay(self.account_id, "table_create")
        return table

    DynamoDBBackend.create_table = create_table

    orig_delete = DynamoDBBackend.delete_table

    def delete_table(self: DynamoDBBackend, name: str) -> Table:
        with settings.LOCK:
            table = self.get_table(name)
            group = _group_of(table)
            if group is not None:
                if group.busy(time.time()):
                    raise ResourceInUseException(
                        f"Attempt to change a resource which is still in use: "
                        f"Table is being updated: {table.name}"
                    )
            deleted = orig_delete(self, name)
            if group is not None:
                group.members.pop(self.region_name, None)
                if len(group.members) <= 1:
                    _groups.pop((group.account_id, group.name), None)
            deleted._mtc_deleted = True
            return deleted

    DynamoDBBackend.delete_table = delete_table

    orig_update = DynamoHandler.update_table

    def update_table(self: DynamoHandler) -> Any:
        name = self.body["TableName"]
        table = self.dynamodb_backend.get_table(name)
        status = table_status(table)
        if status != "ACTIVE":
            doing = {"CREATING": "created", "DELETING": "deleted"}.get(status, "updated")
            raise ResourceInUseException(
                f"Attempt to change a resource which is still in use: "
                f"Table is being {doing}: {table.name}"
            )
        updates = self.body.get("ReplicaUpdates")
        if updates:
            replica_updates(self.dynamodb_backend, name, updates, self.body)
        return orig_update(self)

    DynamoHandler.update_table = update_table

    # Item writes read the current item, check their condition, then write: one at a time per
    # account, as AWS makes each conditional write atomic. The `ddb_item_write` delay pauses
    # between the read and the write, to show that no racing write gets in between.
    def serialised(orig: Any) -> Any:
        def write(self: DynamoDBBackend, *args: Any, **kwargs: Any) -> Any:
            with _item_lock(self.account_id):
                _tls.write_pause = settings.delay(self.account_id, "ddb_item_write")
                try:
                    return orig(self, *args, **kwargs)
                finally:
                    _tls.write_pause = 0.0

        return write

    for method in ("put_item", "update_item", "delete_item", "transact_write_items"):
        setattr(DynamoDBBackend, method, serialised(getattr(DynamoDBBackend, method)))

    orig_get_item = Table.get_item

    def get_item(self: Table, *args: Any, **kwargs: Any) -> Any:
        item = orig_get_item(self, *args, **kwargs)
        pause = getattr(_tls, "write_pause", 0.0)
        if pause > 0:
            time.sleep(pause)
        return item

    Table.get_item = get_item

    orig_call_action = DynamoHandler.call_action

    def call_action(self: DynamoHandler) -> Any:
        settle(self.current_account)
        return orig_call_action(self)

    DynamoHandler.call_action = call_action
