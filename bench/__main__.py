"""Run every benchmark in bench/: `python -m bench`, BENCH_SIZE=small|full."""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys

import bench

SIZES = {"small", "full"}


def main() -> int:
    size = os.environ.get("BENCH_SIZE", "full")
    if size not in SIZES:
        sys.stderr.write(f"BENCH_SIZE must be small or full, not {size!r}.\n")
        return 2
    for module_info in sorted(pkgutil.iter_modules(bench.__path__)):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"bench.{module_info.name}")
        run = getattr(module, "run", None)
        if callable(run):
            run(size)
    return 0


if __name__ == "__main__":
    sys.exit(main())
