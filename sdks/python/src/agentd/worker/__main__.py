"""`python -m agentd.worker module:worker` runs the Worker named `worker` in `module`."""

from __future__ import annotations

import importlib
import logging
import sys

from agentd.worker._worker import Worker


def main(argv: list[str]) -> int:
    if len(argv) != 1 or ":" not in argv[0]:
        print("usage: python -m agentd.worker module:attribute", file=sys.stderr)
        return 2
    module_name, attr = argv[0].split(":", 1)
    sys.path.insert(0, "")
    worker = getattr(importlib.import_module(module_name), attr)
    if not isinstance(worker, Worker):
        print(f"{argv[0]} is not an agentd.worker.Worker", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    worker.run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
