"""Helpers for scripts/testcloud and scripts/with-local-aws (run with the venv's python).

  ctl.py free-port                 print a free TCP port on 127.0.0.1
  ctl.py ping URL                  exit 0 if Meridian's test cloud answers at URL
  ctl.py wait URL SECONDS          wait until it answers; exit 1 after SECONDS
  ctl.py reset URL                 POST URL/moto-api/reset
  ctl.py ensure-zone URL NAME      create hosted zone NAME unless one exists (AWS_* env account)
"""

import json
import socket
import sys
import time
import urllib.request


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ping(url: str, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(url.rstrip("/") + "/meridian-testcloud/health", timeout=timeout) as r:
            return r.status == 200 and json.load(r).get("status") == "ok"
    except Exception:
        return False


def wait(url: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if ping(url):
            return True
        time.sleep(0.1)
    return False


def reset(url: str) -> None:
    req = urllib.request.Request(url.rstrip("/") + "/moto-api/reset", data=b"", method="POST")
    with urllib.request.urlopen(req, timeout=30) as r:
        r.read()


def ensure_zone(url: str, name: str) -> None:
    import boto3

    client = boto3.client("route53", endpoint_url=url, region_name="us-east-1")
    fqdn = name.rstrip(".") + "."
    zones = client.list_hosted_zones_by_name(DNSName=fqdn, MaxItems="1")["HostedZones"]
    if zones and zones[0]["Name"] == fqdn:
        return
    client.create_hosted_zone(Name=fqdn, CallerReference=f"meridian-testcloud-{fqdn}-{time.time_ns()}")
    print(f"testcloud: created hosted zone {fqdn}", file=sys.stderr)


def main(argv: list[str]) -> int:
    cmd, args = (argv[0], argv[1:]) if argv else ("", [])
    if cmd == "free-port":
        print(free_port())
    elif cmd == "ping":
        return 0 if ping(args[0]) else 1
    elif cmd == "wait":
        return 0 if wait(args[0], float(args[1])) else 1
    elif cmd == "reset":
        reset(args[0])
    elif cmd == "ensure-zone":
        ensure_zone(args[0], args[1])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
