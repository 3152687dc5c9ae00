"""A real browser for tests: headless Chromium driven over the DevTools protocol
on a pipe (``--remote-debugging-pipe``: JSON messages ending in NUL on file
descriptors 3 and 4), so no WebDriver and no websocket library is needed.

Only what the tests use: open a page, wait for it to load, read its text, set
a file input, type into a field, click, take a screenshot at phone width.
Clicks are real input events at the element's position, as a finger's would be.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import time
from pathlib import Path

from tests.report_support import CHROMIUM_FLAGS
from tests.web_support import die_with_parent

PHONE = (390, 844)  # CSS pixels: a common phone's viewport


class Browser:
    def __init__(self, binary: str, profile: Path, timeout: float = 60) -> None:
        self.timeout = timeout
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()

        def wire() -> None:  # in the child: fd 3 reads our commands, fd 4 takes its answers
            read, write = os.dup(to_child_r), os.dup(from_child_w)  # above 4: dup2 cannot clobber them
            os.dup2(read, 3)
            os.dup2(write, 4)
            die_with_parent()  # a test process killed outright takes its browser with it

        profile.mkdir(parents=True, exist_ok=True)
        self.log = open(profile / "chromium.log", "wb")
        # close_fds=False: the descriptors 3 and 4 made in the child must survive to exec.
        self.process = subprocess.Popen(
            [binary, *CHROMIUM_FLAGS, "--remote-debugging-pipe", f"--user-data-dir={profile}",
             f"--window-size={PHONE[0]},{PHONE[1]}", "about:blank"],
            preexec_fn=wire, close_fds=False, stdout=self.log, stderr=self.log)
        os.close(to_child_r)
        os.close(from_child_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict] = []
        try:
            target = self.call("Target.createTarget", url="about:blank")["targetId"]
            self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
            for domain in ("Page.enable", "Runtime.enable", "DOM.enable"):
                self.call(domain, session=True)
            self.call("Emulation.setDeviceMetricsOverride", session=True, width=PHONE[0], height=PHONE[1],
                      deviceScaleFactor=2, mobile=True)
        except BaseException:  # a browser that never became usable is not left running
            self.close()
            raise

    # --- the protocol -------------------------------------------------------------

    def _send(self, message: dict) -> None:
        os.write(self._to_child, json.dumps(message).encode() + b"\0")

    def _receive(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            if time.monotonic() > deadline:
                raise TimeoutError("the browser did not answer in time")
            chunk = os.read(self._from_child, 1 << 20)
            if not chunk:
                raise RuntimeError("the browser closed its pipe")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method: str, session: bool = False, **params) -> dict:
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        self._send(message)
        deadline = time.monotonic() + self.timeout
        while True:
            reply = self._receive(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, event: str) -> dict:
        deadline = time.monotonic() + self.timeout
        while True:
            for i, e in enumerate(self.events):
                if e.get("method") == event:
                    return self.events.pop(i)
            self.events.append(self._receive(deadline))

    # --- what a user does ---------------------------------------------------------

    def open(self, url: str) -> None:
        self.events.clear()
        self.call("Page.navigate", session=True, url=url)
        self.wait_for("Page.loadEventFired")

    def text(self) -> str:
        return self.evaluate("document.body.innerText")

    def html(self) -> str:
        return self.evaluate("document.documentElement.outerHTML")

    def url(self) -> str:
        return self.evaluate("location.href")

    def evaluate(self, expression: str):
        result = self.call("Runtime.evaluate", session=True, expression=expression, returnByValue=True)
        return result["result"].get("value")

    def _node(self, selector: str) -> int:
        root = self.call("DOM.getDocument", session=True)["root"]["nodeId"]
        node = self.call("DOM.querySelector", session=True, nodeId=root, selector=selector)["nodeId"]
        if not node:
            raise LookupError(f"no element matches {selector!r}")
        return node

    def set_file(self, selector: str, path: Path) -> None:
        self.call("DOM.setFileInputFiles", session=True, nodeId=self._node(selector), files=[str(path)])

    def type_into(self, selector: str, text: str) -> None:
        self.click(selector, navigates=False)
        self.call("Input.insertText", session=True, text=text)

    def click(self, selector: str, *, navigates: bool = True) -> None:
        """A tap at the element's centre (scrolled into view first)."""
        node = self._node(selector)
        self.call("DOM.scrollIntoViewIfNeeded", session=True, nodeId=node)
        quad = self.call("DOM.getBoxModel", session=True, nodeId=node)["model"]["content"]
        x, y = (quad[0] + quad[4]) / 2, (quad[1] + quad[5]) / 2
        if navigates:
            self.events.clear()
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", session=True, type=kind, x=x, y=y, button="left", clickCount=1)
        if navigates:
            self.wait_for("Page.loadEventFired")

    def screenshot(self, path: Path) -> None:
        """What the phone's screen shows, from the top of the page."""
        self.evaluate("window.scrollTo(0, 0)")
        data = self.call("Page.captureScreenshot", session=True, format="png")["data"]
        path.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        try:
            self.call("Browser.close")
        except Exception:
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        os.close(self._to_child)
        os.close(self._from_child)
        self.log.close()
