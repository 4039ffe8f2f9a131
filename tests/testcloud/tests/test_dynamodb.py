"""DynamoDB: CREATING -> ACTIVE, and global tables version 2019.11.21 (UpdateTable ReplicaUpdates)."""

import time

import pytest
from botocore.exceptions import ClientError

from conftest import wait_until

SRC, R2, R3 = "us-east-1", "eu-west-1", "sa-east-1"


def create(ddb, name="t", streams=True):
    kwargs = {}
    if streams:
        kwargs["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    return ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        **kwargs,
    )["TableDescription"]


def table(ddb, name="t"):
    return ddb.describe_table(TableName=name)["Table"]


def replicas(desc):
    return {r["RegionName"]: r["ReplicaStatus"] for r in desc.get("Replicas", [])}


def add_replica(ddb, region, name="t"):
    return ddb.update_table(TableName=name, ReplicaUpdates=[{"Create": {"RegionName": region}}])


def error(excinfo):
    return excinfo.value.response["Error"]["Code"], excinfo.value.response["Error"]["Message"]


def test_table_is_creating_then_active(account):
    account.set_delays(table_create=1.0)
    ddb = account.client("dynamodb")
    assert create(ddb)["TableStatus"] == "CREATING"
    assert table(ddb)["TableStatus"] == "CREATING"
    with pytest.raises(ClientError) as e:
        ddb.update_table(TableName="t", DeletionProtectionEnabled=True)
    assert error(e)[0] == "ResourceInUseException"
    started = time.monotonic()
    ddb.get_waiter("table_exists").wait(TableName="t", WaiterConfig={"Delay": 0.2, "MaxAttempts": 30})
    assert table(ddb)["TableStatus"] == "ACTIVE"
    assert time.monotonic() - started < 2.0


def test_default_delays_are_zero(account):
    ddb = account.client("dynamodb")
    assert create(ddb)["TableStatus"] == "ACTIVE"
    desc = add_replica(ddb, R2)["TableDescription"]
    assert replicas(desc) == {SRC: "ACTIVE", R2: "ACTIVE"}
    assert desc["TableStatus"] == "ACTIVE"


def test_add_replica_creating_then_active_one_at_a_time(account):
    account.set_delays(replica_create=1.0)
    src, dst = account.client("dynamodb", SRC), account.client("dynamodb", R2)
    create(src)
    src.put_item(TableName="t", Item={"id": {"S": "before"}})
    resp = add_replica(src, R2)["TableDescription"]
    assert replicas(resp) == {SRC: "ACTIVE", R2: "CREATING"}
    assert resp["TableStatus"] == "UPDATING"
    assert resp["GlobalTableVersion"] == "2019.11.21"
    # The replica table exists in its region at once, CREATING, with the same view.
    there = table(dst)
    assert there["TableStatus"] == "CREATING"
    assert replicas(there) == {SRC: "ACTIVE", R2: "CREATING"}
    assert there["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert there["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert f":{account.id}:table/t" in there["TableArn"] and f":{R2}:" in there["TableArn"]
    # A second replica change while one is under way is rejected.
    with pytest.raises(ClientError) as e:
        add_replica(src, R3)
    assert error(e)[0] in ("ResourceInUseException", "LimitExceededException")
    wait_until(lambda: replicas(table(src)).get(R2) == "ACTIVE", timeout=3)
    assert table(src)["TableStatus"] == "ACTIVE"
    assert table(dst)["TableStatus"] == "ACTIVE"
    # Existing items were copied.
    assert dst.get_item(TableName="t", Key={"id": {"S": "before"}})["Item"]["id"] == {"S": "before"}
    # Now the next replica may be added; every member region lists all three.
    add_replica(src, R3)
    wait_until(lambda: replicas(table(src)).get(R3) == "ACTIVE", timeout=3)
    for region in (SRC, R2, R3):
        assert replicas(table(account.client("dynamodb", region))) == {SRC: "ACTIVE", R2: "ACTIVE", R3: "ACTIVE"}


def test_replication_of_writes_with_delay(account):
    account.set_delays(replication=0.8)
    src, dst = account.client("dynamodb", SRC), account.client("dynamodb", R2)
    create(src)
    add_replica(src, R2)
    src.put_item(TableName="t", Item={"id": {"S": "a"}, "v": {"N": "1"}})
    assert "Item" not in dst.get_item(TableName="t", Key={"id": {"S": "a"}})
    item = wait_until(lambda: dst.get_item(TableName="t", Key={"id": {"S": "a"}}).get("Item"), timeout=3)
    assert item["v"] == {"N": "1"}
    # Writes in the replica region go back too; updates and deletes replicate.
    dst.update_item(TableName="t", Key={"id": {"S": "a"}}, UpdateExpression="SET v = :v",
                    ExpressionAttributeValues={":v": {"N": "2"}})
    wait_until(lambda: src.get_item(TableName="t", Key={"id": {"S": "a"}})["Item"]["v"] == {"N": "2"}, timeout=3)
    src.delete_item(TableName="t", Key={"id": {"S": "a"}})
    wait_until(lambda: "Item" not in dst.get_item(TableName="t", Key={"id": {"S": "a"}}), timeout=3)


def test_remove_replica_deleting_then_gone(account):
    account.set_delays(replica_delete=0.8)
    src, dst = account.client("dynamodb", SRC), account.client("dynamodb", R2)
    create(src)
    add_replica(src, R2)
    resp = src.update_table(TableName="t", ReplicaUpdates=[{"Delete": {"RegionName": R2}}])
    assert replicas(resp["TableDescription"]) == {SRC: "ACTIVE", R2: "DELETING"}
    assert table(dst)["TableStatus"] == "DELETING"
    wait_until(lambda: "t" not in dst.list_tables()["TableNames"], timeout=3)
    desc = table(src)
    assert "Replicas" not in desc and desc["TableStatus"] == "ACTIVE"


def test_replica_update_rules(account):
    src = account.client("dynamodb", SRC)
    create(src)
    with pytest.raises(ClientError) as e:
        src.update_table(TableName="t", ReplicaUpdates=[
            {"Create": {"RegionName": R2}}, {"Create": {"RegionName": R3}}])
    assert error(e)[0] == "ValidationException" and "Only one replica update" in error(e)[1]
    with pytest.raises(ClientError) as e:
        add_replica(src, SRC)
    assert error(e) == ("ValidationException", "Cannot add, delete, or update the local region through "
                        "ReplicaUpdates. Use CreateTable, DeleteTable, or UpdateTable as required.")
    with pytest.raises(ClientError) as e:
        src.update_table(TableName="t", ReplicaUpdates=[{"Delete": {"RegionName": R2}}])
    assert error(e)[0] == "ValidationException" and "was not found" in error(e)[1]
    # A table of that name already in the target region.
    create(account.client("dynamodb", R3))
    with pytest.raises(ClientError) as e:
        add_replica(src, R3)
    assert error(e)[0] == "ValidationException" and "already existed as tables" in error(e)[1]
    # Streams must be NEW_AND_OLD_IMAGES.
    create(src, name="nostream", streams=False)
    with pytest.raises(ClientError) as e:
        add_replica(src, R2, name="nostream")
    assert error(e)[0] == "ValidationException" and "NEW_AND_OLD_IMAGES" in error(e)[1]
    assert "nostream" not in account.client("dynamodb", R2).list_tables()["TableNames"]


def test_delete_table_of_a_global_table(account):
    account.set_delays(replica_create=0.5)
    src, dst = account.client("dynamodb", SRC), account.client("dynamodb", R2)
    create(src)
    add_replica(src, R2)
    with pytest.raises(ClientError) as e:
        src.delete_table(TableName="t")
    assert error(e)[0] == "ResourceInUseException"
    wait_until(lambda: table(src)["TableStatus"] == "ACTIVE", timeout=3)
    assert src.delete_table(TableName="t")["TableDescription"]["TableStatus"] == "DELETING"
    # The replica region keeps its table, no longer global.
    desc = table(dst)
    assert "Replicas" not in desc and desc["TableStatus"] == "ACTIVE"


def test_conditional_writes_are_atomic(account):
    # AWS checks a write's condition and applies it atomically; moto's threaded server does not,
    # so two racing "create if absent" writes could both succeed (a lease taken twice). The pause
    # between reading the current item and writing makes every write race the others.
    import threading
    from concurrent.futures import ThreadPoolExecutor

    account.set_delays(ddb_item_write=0.02)
    create(account.client("dynamodb"))
    writers = 8
    clients = [account.client("dynamodb") for _ in range(writers)]
    for rnd in range(4):
        barrier = threading.Barrier(writers)

        def attempt(i):
            barrier.wait()
            try:
                clients[i].put_item(
                    TableName="t",
                    Item={"id": {"S": f"lease-{rnd}"}, "holder": {"S": str(i)}, "n": {"N": "0"}},
                    ConditionExpression="attribute_not_exists(id)",
                )
                return True
            except ClientError as e:
                assert e.response["Error"]["Code"] == "ConditionalCheckFailedException"
                return False

        with ThreadPoolExecutor(writers) as pool:
            assert sum(pool.map(attempt, range(writers))) == 1, f"round {rnd}"

        # Conditional updates on one item: each increment that succeeds saw the previous one.
        barrier = threading.Barrier(writers)

        def increment(i):
            barrier.wait()
            c = clients[i]
            item = c.get_item(TableName="t", Key={"id": {"S": f"lease-{rnd}"}}, ConsistentRead=True)
            seen = item["Item"]["n"]["N"]
            try:
                c.update_item(
                    TableName="t",
                    Key={"id": {"S": f"lease-{rnd}"}},
                    UpdateExpression="SET n = :next",
                    ConditionExpression="n = :seen",
                    ExpressionAttributeValues={":seen": {"N": seen}, ":next": {"N": str(int(seen) + 1)}},
                )
                return 1
            except ClientError as e:
                assert e.response["Error"]["Code"] == "ConditionalCheckFailedException"
                return 0

        with ThreadPoolExecutor(writers) as pool:
            won = sum(pool.map(increment, range(writers)))
        final = clients[0].get_item(TableName="t", Key={"id": {"S": f"lease-{rnd}"}}, ConsistentRead=True)
        assert int(final["Item"]["n"]["N"]) == won, f"round {rnd}: lost updates"
