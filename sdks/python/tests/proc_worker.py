"""A worker run as its own process by test_worker_process.py: `python -m tests.proc_worker AGENT
MODE` with AGENTD_URL / AGENTD_API_KEY set. Endpoint `work` prints `started <run_id> <attempt>`
and then, by MODE: `hold` never returns (until cancelled), `finish` returns at once, and
`gate` returns once the file named by the input's `gate` exists. Env PROC_LEASE_TTL_MS and
PROC_GRACE set the lease TTL and the shutdown grace period."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from pathlib import Path
from typing import Any

from agentd import Agentd
from agentd.worker import Context, Worker


def build(agent: str, mode: str) -> Worker:
    worker = Worker(Agentd(), agent=agent, concurrency=4, poll_wait_ms=1000,
                    lease_ttl_ms=int(os.environ.get("PROC_LEASE_TTL_MS", "3000")),
                    shutdown_grace=float(os.environ.get("PROC_GRACE", "30")))

    @worker.endpoint("work")
    async def work(input: Any, ctx: Context) -> dict[str, Any]:
        print(f"started {ctx.run_id} {ctx.attempt}", flush=True)
        if mode == "hold":
            await asyncio.Event().wait()
        if mode == "gate":
            while not Path(input["gate"]).exists():
                await asyncio.sleep(0.05)
        return {"pid": os.getpid(), "attempt": ctx.attempt}

    return worker


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(levelname)s %(name)s: %(message)s")
    print("ready", flush=True)
    build(sys.argv[1], sys.argv[2]).run()
