"""The period view: a scorecard as one self-contained HTML page (no scripts, no
network), for the coordinator's screen, a printout or a mail. Pure."""

from __future__ import annotations

from pathlib import Path

from tracker.core.scorecard import Scorecard
from tracker.render import vi

TEMPLATE_DIR = Path(__file__).parent / "templates"
TEMPLATE = "scorecard.html.j2"
BAR = 200  # drawing units of the on-time bar


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%".replace(".", ",")


def render_scorecard_html(card: Scorecard) -> bytes:
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(loader=FileSystemLoader(str(TEMPLATE_DIR)),
                      autoescape=select_autoescape(default=True, default_for_string=True),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["d"] = vi.fmt_date
    env.filters["pct"] = percent
    return env.get_template(TEMPLATE).render(card=card, bar=BAR).encode("utf-8")
