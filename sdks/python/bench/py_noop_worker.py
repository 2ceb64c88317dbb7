"""The Python side of worker_bench.py: one Worker process (asyncio, concurrency 50) for agent
argv[1] whose `noop` endpoint returns `{}`. Reads AGENTD_URL / AGENTD_API_KEY; stops on SIGTERM."""

from __future__ import annotations

import os
import sys
from typing import Any

from agentd import Agentd
from agentd.worker import Context, Worker

worker = Worker(Agentd(), agent=sys.argv[1] if len(sys.argv) > 1 else "bench-py",
                concurrency=int(os.environ.get("BENCH_CONCURRENCY", "50")))


@worker.endpoint("noop")
async def noop(input: Any, ctx: Context) -> dict[str, Any]:
    return {}


if __name__ == "__main__":
    print("ready", flush=True)
    worker.run()
