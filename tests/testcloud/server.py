"""Meridian's test cloud: moto's server with Meridian's extensions (meridian_moto) loaded.

Usage: .venv/bin/python tests/testcloud/server.py [--host 127.0.0.1] [--port 5000]
Delay settings come from MERIDIAN_TESTCLOUD_DELAY_<NAME> variables and from
POST /meridian-testcloud/config; see tests/testcloud/README.md.
"""

import argparse
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=5000)
    args = parser.parse_args(argv)
    os.environ.setdefault("MOTO_PORT", str(args.port))
    try:
        os.setsid()  # detach from the caller's process group (a test runner, a shell)
    except OSError:
        pass

    import meridian_moto
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import run_simple

    meridian_moto.install()

    # Same as moto.server.main, with Meridian's endpoints in front of moto's app.
    app = DomainDispatcherApplication(create_backend_app)
    app.debug = True  # type: ignore[attr-defined]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(0))
    print(f"meridian testcloud: moto server with extensions on http://{args.host}:{args.port}", flush=True)
    run_simple(
        args.host,
        args.port,
        meridian_moto.httpapi.Middleware(app),
        threaded=True,
        request_handler=MotoRequestHandler,
    )


if __name__ == "__main__":
    main()
