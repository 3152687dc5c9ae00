"""Serve the web app with uvicorn in the foreground (systemd runs it beside the daemon)."""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Callable

from tracker.services.links import Signer, web_secret
from tracker.services.runtime import Runtime

log = logging.getLogger("tracker.web")


def run_server(rt: Runtime, host: str, port: int, *, clock: Callable[[], datetime] | None = None,
               fd: int | None = None) -> int:
    import uvicorn

    from tracker.web.app import make_app

    _log_to_stderr()
    signer = Signer(web_secret(rt.settings))  # no secret: a clear error now, not at the first request
    app = make_app(rt, signer, clock or (lambda: datetime.now(timezone.utc)))
    where = f"inherited socket {fd}" if fd is not None else f"http://{host}:{port}"
    log.info("serving on %s (base_url %s)", where, rt.settings.web.base_url or "not set")
    config = uvicorn.Config(
        app, host=host, port=port, fd=fd, log_level="warning", server_header=False, proxy_headers=True,
        forwarded_allow_ips="127.0.0.1", timeout_keep_alive=5, timeout_graceful_shutdown=5, limit_concurrency=200, access_log=False,
    )
    server = uvicorn.Server(config)
    server.run()
    return 0 if server.started else 1


def _log_to_stderr() -> None:
    """One line per record on stderr (the journal under systemd), as the daemon logs."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s tracker %(levelname)s %(message)s", "%Y-%m-%d %H:%M:%S"))
    root = logging.getLogger("tracker")
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
