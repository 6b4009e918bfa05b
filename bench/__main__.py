"""Runs every benchmark: `python -m bench [--quick]`."""

from __future__ import annotations

import importlib
import sys

BENCHES = (
    "bench.store",
    "bench.commands",
    "bench.slack_commands",
    "bench.digests",
    "bench.follows",
    "bench.intake",
    "bench.add_latency",
    "bench.answers",
    "bench.feeds_parse",
    "bench.feeds_quality",
    "bench.feeds",
    "bench.slack_delivery",
)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    status = 0
    for name in BENCHES:
        print(f"== {name}", flush=True)
        status |= importlib.import_module(name).main(argv)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
