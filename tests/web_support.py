"""The real web server for tests: ``tracker serve`` in a subprocess (uvicorn) on
a socket the test binds first on 127.0.0.1, so the first request simply waits
in the socket's backlog until the app is up: no polling, no sleeping.

No server outlives its test: ``serving`` stops it in a ``finally`` (terminate,
then kill after a timeout), every server still running when the test process
exits is killed (atexit), and the kernel sends the server SIGTERM if the test
process dies without running either (``PR_SET_PDEATHSIG``)."""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import re
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import httpx

SECRET = "test-web-secret-" + "x" * 32
_RUNNING: set[subprocess.Popen] = set()
_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """In a child, before exec: the kernel sends it SIGTERM when the test process dies."""
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def stop_process(process: subprocess.Popen, timeout: float = 10) -> None:
    """Terminate, wait, kill if it does not stop in time; never raises for a process already gone."""
    try:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=timeout)
    finally:
        _RUNNING.discard(process)


@atexit.register
def _kill_leftovers() -> None:
    for process in list(_RUNNING):
        stop_process(process, timeout=2)


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    log: Path

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, follow_redirects=False)

    def stop(self) -> str:
        stop_process(self.process)
        return self.log.read_text(encoding="utf-8", errors="replace")


def start_server(db_url: str, config: Path, cwd: Path, now: str, before_start=None) -> Server:
    """``before_start(url)`` runs once the address is known (e.g. to put it in the config as base_url)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    port = sock.getsockname()[1]
    if before_start is not None:
        before_start(f"http://127.0.0.1:{port}")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    env["TRACKER_WEB_SECRET"] = SECRET
    log = cwd / f"serve-{port}.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "tracker", "--db", db_url, "--config", str(config), "--now", now, "serve",
             "--fd", str(sock.fileno())],
            cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, pass_fds=(sock.fileno(),),
            preexec_fn=die_with_parent)
    _RUNNING.add(process)
    sock.close()  # the server holds its own copy
    return Server(f"http://127.0.0.1:{port}", process, log)


@contextlib.contextmanager
def serving(db_url: str, config: Path, cwd: Path, now: str, before_start=None, logs: list[str] | None = None
            ) -> Iterator[Server]:
    """``start_server`` whose process is stopped however the block ends; the server's log
    is appended to ``logs`` (for the test to check that no traceback was printed)."""
    server = start_server(db_url, config, cwd, now, before_start)
    try:
        yield server
    finally:
        text = server.stop()
        if logs is not None:
            logs.append(text)


def form_fields(html: str, assignment: int | None = None) -> dict[str, str]:
    """The hidden fields of the form of ``assignment`` (else the first form)."""
    forms = re.findall(r"<form .*?</form>", html, re.S)
    for form in forms:
        fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form))
        if assignment is None or fields.get("assignment") == str(assignment):
            return fields
    raise AssertionError(f"no form for assignment {assignment}")
