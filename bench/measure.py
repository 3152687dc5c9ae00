"""Run one `tracker` command in this process and report its wall time and peak
memory (JSON on the last line of stderr). Used by bench/scale.py so each figure
comes from a fresh interpreter, as a coordinator's command would."""

from __future__ import annotations

import json
import resource
import sys
import time


def main() -> None:
    started = time.perf_counter()
    code = 0
    try:
        from tracker.cli import main as tracker_main

        sys.argv = ["tracker", *sys.argv[1:]]
        tracker_main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    elapsed = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    sys.stdout.flush()
    print(json.dumps({"seconds": elapsed, "peak_mb": peak_kb / 1024, "exit": code}), file=sys.stderr)


if __name__ == "__main__":
    main()
