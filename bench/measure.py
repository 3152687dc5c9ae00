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
import os
import resource
import sys
import time


def main() -> None:
    args = sys.argv[1:]
    preload: list[str] = []
    if args[:1] == ["--preload"]:
        preload, args = [m for m in args[1].split(",") if m], args[2:]
    started = time.perf_counter()
    from tracker.cli import run as tracker_run, tune_collector

    tune_collector()  # as `tracker` itself does (tracker.cli.main)

    for module in preload:
        importlib.import_module(module)
    imported = time.perf_counter()
    code = tracker_run(args)
    done = time.perf_counter()
    sys.stdout.flush()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    # CPU seconds (user + system) beside the wall time: on a shared, loaded machine
    # the wall time also counts the waits for a core.
    print(json.dumps({"seconds": done - started, "import_s": imported - started, "run_s": done - imported,
                      "cpu_s": usage.ru_utime + usage.ru_stime, "peak_mb": peak_mb(), "exit": code}),
          file=sys.stderr)
    sys.stderr.flush()
    os._exit(0)  # like `tracker` itself (tracker.cli.main): no interpreter teardown


def peak_mb() -> float:
    """This process's peak resident memory.

    Linux keeps ``ru_maxrss`` across fork+exec: a child of a large parent
    reports the parent's size (bench/scale.py holds ~250 MB after preparing the
    1M store). ``VmHWM`` belongs to the process's own address space, so it is
    used when the kernel has it.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    main()
