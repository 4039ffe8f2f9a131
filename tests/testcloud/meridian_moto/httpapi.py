"""Meridian's own HTTP endpoints, served by the moto server next to /moto-api/.

GET  /meridian-testcloud/health  -> {"status": "ok", "moto": "5.2.5", "extensions": [...]}
GET  /meridian-testcloud/config  -> {"global": {...}, "accounts": {...}, "delay_names": {...}}
POST /meridian-testcloud/config  body {"account_id": "111122223333" (optional),
                                       "delays": {"table_create": 2.0, ...} (optional),
                                       "clear": false (optional: drop earlier overrides first),
                                       "strict": true | false | ["quirk", ...] (optional)}
                                 -> {"account_id": ..., "delays": {every delay in force},
                                     "strict": [quirks on for the account]}
An unknown delay name or a bad value is a 400 with {"error": "..."}, and nothing changes.
"""

import json
import re
from typing import Any, Callable, Iterable

from . import settings

PREFIX = "/meridian-testcloud/"
ACCOUNT = re.compile(r"^[0-9]{12}$")


def _reply(start_response: Callable, status: str, body: Any) -> Iterable[bytes]:
    data = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


def handle(environ: dict, start_response: Callable) -> Iterable[bytes]:
    import moto

    path = environ.get("PATH_INFO", "")
    method = environ.get("REQUEST_METHOD", "GET")
    if path == PREFIX + "health":
        from . import EXTENSIONS

        return _reply(start_response, "200 OK", {"status": "ok", "moto": moto.__version__, "extensions": EXTENSIONS})
    if path == PREFIX + "config":
        if method == "GET":
            return _reply(start_response, "200 OK", settings.snapshot())
        if method == "POST":
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
                raw = environ["wsgi.input"].read(length) if length else b"{}"
                body = json.loads(raw or b"{}")
                if not isinstance(body, dict):
                    raise ValueError("body must be a JSON object")
                account = body.get("account_id")
                if account is not None and not (isinstance(account, str) and ACCOUNT.match(account)):
                    raise ValueError(f"account_id must be a 12-digit string, got {account!r}")
                delays = body.get("delays") or {}
                if not isinstance(delays, dict):
                    raise ValueError("delays must be an object of name -> seconds")
                if "strict" in body:
                    settings._quirks(body["strict"])  # validate before changing anything
                effective = settings.update(account, delays, clear=bool(body.get("clear")))
                if "strict" in body:
                    settings.set_strict(account, body["strict"])
            except ValueError as error:
                return _reply(start_response, "400 Bad Request", {"error": str(error)})
            reply = {"account_id": account, "delays": effective, "strict": settings.strict_quirks(account)}
            return _reply(start_response, "200 OK", reply)
        return _reply(start_response, "405 Method Not Allowed", {"error": "use GET or POST"})
    return _reply(start_response, "404 Not Found", {"error": f"unknown path {path}"})


class Middleware:
    """WSGI wrapper: /meridian-testcloud/* here, everything else to moto."""

    def __init__(self, app: Any):
        self.app = app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "").startswith(PREFIX):
            return handle(environ, start_response)
        return self.app(environ, start_response)
