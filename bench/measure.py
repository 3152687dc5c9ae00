"""Run one `tracker` command in this process and report its times and peak
memory (JSON on the last line of stderr). Used by bench/scale.py so each figure
comes from a fresh interpreter, as a coordinator's command would.

    python bench/measure.py [--preload mod,mod] TRACKER-ARGS...

``import_s`` is the time to import the CLI and the ``--preload`` modules (the
command's service and what it needs: SQLAlchemy, the models); ``run_s`` is the
command itself once those are loaded, i.e. the service time plus printing.
The caller measures the wall time of the whole process around it.
"""

from __future__ import annotations

import importlib
import json
import resource
import sys
import time


def main() -> None:
    args = sys.argv[1:]
    preload: list[str] = []
    if args[:1] == ["--preload"]:
        preload, args = [m for m in args[1].split(",") if m], args[2:]
    started = time.perf_counter()
    code = 0
    from tracker.cli import main as tracker_main

    for module in preload:
        importlib.import_module(module)
    imported = time.perf_counter()
    try:
        sys.argv = ["tracker", *args]
        tracker_main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    done = time.perf_counter()
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    sys.stdout.flush()
    print(json.dumps({"seconds": done - started, "import_s": imported - started, "run_s": done - imported,
                      "peak_mb": peak_kb / 1024, "exit": code}), file=sys.stderr)


if __name__ == "__main__":
    main()
