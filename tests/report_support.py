"""Test helpers for exports and reports: a sample year with history, headless
Chromium, and a stdlib PNG reader (so a screenshot can be checked for content)."""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import at, load_sample
from tracker.services.records import submit, waive
from tracker.services.runtime import Runtime

# Submissions of the sample plan (local times): most on time, some late.
PLAN_SUBMISSIONS = {
    "catp": "2021-03-05T10:00", "ctk": "2021-03-08T15:30", "hlhpn": "2021-03-04T09:00",
    "sgddt": "2021-03-09T16:00", "skhdt": "2021-03-12T10:00", "snnptnt": "2021-03-09T11:00",
    "snv": "2021-03-03T08:30", "stc": "2021-03-22T10:00", "stp": "2021-03-09T17:00",
    "stttt": "2021-03-05T14:00", "syt": "2021-03-16T09:00", "ubmttq": "2021-03-08T10:00",
}
HALF_YEAR_SUBMISSIONS = {
    "catp": "2021-05-28T10:00", "hlhpn": "2021-05-31T16:00", "snv": "2021-05-27T09:00",
    "stttt": "2021-05-31T10:00", "sgddt": "2021-06-02T09:00", "ubmttq": "2021-05-25T14:00",
    "stp": "2021-06-07T10:00",
}
REPORT_NOW = "2021-06-10T09:00"


def sample_year(rt: Runtime) -> None:
    """The sample plan and units, with half a year of submissions and one waiver."""
    load_sample(rt, at("2021-03-01T09:00"))
    for unit, when in PLAN_SUBMISSIONS.items():
        submit(rt, at(when), unit, "ke-hoach-don-vi", period="2021", at=at(when))
    waive(rt, at("2021-04-01T09:00"), "svhtt", "ke-hoach-don-vi", period="2021",
          reason="Đã lồng ghép vào kế hoạch chung")
    for unit, when in HALF_YEAR_SUBMISSIONS.items():
        submit(rt, at(when), unit, "bao-cao-6-thang", period="2021", at=at(when))


CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Flags that keep a headless run offline and quiet (no first-run, sync, updates).
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars",
)


def find_chromium() -> str | None:
    for name in CHROMIUM_CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


def chromium(binary: str, profile: Path, *args: str, timeout: int = 90) -> subprocess.CompletedProcess:
    return subprocess.run([binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, timeout=timeout)


@dataclass
class Image:
    width: int
    height: int
    channels: int
    rows: list[bytes]

    def pixel(self, x: int, y: int) -> tuple[int, ...]:
        i = x * self.channels
        return tuple(self.rows[y][i:i + 3])


def read_png(data: bytes) -> Image:
    """Decode an 8-bit, non-interlaced RGB or RGBA PNG (what Chromium writes)."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, header = 8, bytearray(), None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
    assert header is not None, "no IHDR"
    width, height, depth, colour, _, _, interlace = header
    if depth != 8 or colour not in (2, 6) or interlace:
        raise ValueError(f"unsupported PNG (depth {depth}, colour type {colour}, interlace {interlace})")
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(bytes(idat))
    stride = width * bpp
    # Byte-wise addition mod 256 on whole rows at once (SWAR on Python ints):
    # the 'Up' filter, most of Chromium's rows, then costs no Python loop.
    high = int.from_bytes(b"\x80" * stride, "big")
    low = int.from_bytes(b"\x7f" * stride, "big")
    rows: list[bytes] = []
    prev = bytes(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], raw[start + 1:start + 1 + stride]
        if kind == 0:
            out = bytes(line)
        elif kind == 2:
            a, b = int.from_bytes(line, "big"), int.from_bytes(prev, "big")
            out = (((a & low) + (b & low)) ^ ((a ^ b) & high)).to_bytes(stride, "big")
        else:
            out = _unfilter_slow(kind, bytearray(line), prev, bpp)
        rows.append(out)
        prev = out
    return Image(width, height, bpp, rows)


def _unfilter_slow(kind: int, line: bytearray, prev: bytes, bpp: int) -> bytes:
    for i in range(len(line)):
        a = line[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        if kind == 1:
            line[i] = (line[i] + a) & 255
        elif kind == 3:
            line[i] = (line[i] + (a + b) // 2) & 255
        elif kind == 4:
            pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    return bytes(line)
