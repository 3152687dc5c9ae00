"""Plan documents (plain text, Vietnamese) -> a draft plan file for review.

Pure: no I/O, no clock.  `extract_plan` returns a plain dict in the plan-file
shape (see shared/spec/plan-file.md) plus a top-level `review:` list of what a
person must check; `render_yaml` turns it into the YAML text to review.
"""

from .draft import extract_plan
from .names import name_key
from .yamlout import render_yaml

__all__ = ["extract_plan", "render_yaml", "name_key"]
