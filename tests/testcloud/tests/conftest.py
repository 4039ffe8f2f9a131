"""Fixtures: one test cloud server for the session, and a fresh account per test.

The server is started from tests/testcloud/server.py on a free port (or, if
MERIDIAN_TESTCLOUD_ENDPOINT is set, that running server is used). Every test gets its own
12-digit account (= access key id), so tests never need a reset and can run in parallel.
"""

import itertools
import json
import os
import random
import subprocess
import sys
import time
import urllib.request

import boto3
import pytest
from botocore.config import Config

HERE = os.path.dirname(os.path.abspath(__file__))
TESTCLOUD = os.path.dirname(HERE)
sys.path.insert(0, TESTCLOUD)

import ctl  # noqa: E402

_counter = itertools.count(1)
_prefix = random.SystemRandom().randrange(10_000, 99_999)


@pytest.fixture(scope="session")
def endpoint():
    given = os.environ.get("MERIDIAN_TESTCLOUD_ENDPOINT")
    if given:
        assert ctl.ping(given), f"no Meridian test cloud at {given}"
        yield given
        return
    port = ctl.free_port()
    url = f"http://127.0.0.1:{port}"
    # The repository root's .testcloud/ (git-ignored), as scripts/testcloud uses.
    state = os.path.join(os.path.dirname(os.path.dirname(TESTCLOUD)), ".testcloud")
    os.makedirs(state, exist_ok=True)
    log = open(os.path.join(state, "pytest-server.log"), "wb")
    proc = subprocess.Popen(
        [sys.executable, os.path.join(TESTCLOUD, "server.py"), "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    try:
        assert ctl.wait(url, 30), "test cloud did not start; see .testcloud/pytest-server.log"
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


class Account:
    """A fresh account on the test cloud: boto3 clients and delay settings for it."""

    def __init__(self, endpoint: str, account_id: str):
        self.endpoint = endpoint
        self.id = account_id

    def client(self, service: str, region: str = "us-east-1"):
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=region,
            aws_access_key_id=self.id,
            aws_secret_access_key="testing",
            config=Config(retries={"max_attempts": 1, "mode": "standard"}),
        )

    def set_delays(self, **delays: float) -> dict:
        return self._configure({"delays": delays})

    def set_strict(self, quirks=True) -> dict:
        """AWS's quirks for this account: True (all), False (none) or a list of names."""
        return self._configure({"strict": quirks})

    def _configure(self, body: dict) -> dict:
        req = urllib.request.Request(
            self.endpoint + "/meridian-testcloud/config",
            data=json.dumps({"account_id": self.id, **body}).encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.load(r)


def new_account_id() -> str:
    return f"{_prefix:05d}{next(_counter):07d}"


@pytest.fixture
def account(endpoint) -> Account:
    return Account(endpoint, new_account_id())


@pytest.fixture
def other_account(endpoint) -> Account:
    return Account(endpoint, new_account_id())


def wait_until(predicate, timeout: float = 5.0, step: float = 0.1):
    """Poll `predicate` until it returns a truthy value; return it (fail after timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(step)
