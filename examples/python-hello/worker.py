"""The hello agent's worker in Python (the manifest is examples/hello/agent.yaml).

Reads AGENTD_URL and AGENTD_API_KEY. Run it with
`sdks/python/.venv/bin/python examples/python-hello/worker.py` (or `python -m agentd.worker
worker:worker` from this folder). Stop it with Ctrl-C: it finishes what it holds, then exits.
"""

from __future__ import annotations

from typing import Any

from agentd import Agentd
from agentd.worker import Context, Worker

worker = Worker(Agentd(), agent="hello", concurrency=10)


@worker.endpoint("greet")
async def greet(input: Any, ctx: Context) -> dict[str, str]:
    name = input["name"]
    await ctx.log(f"greeting {name}")
    await ctx.progress(1, "done")
    return {"greeting": f"Hello, {name}!"}


if __name__ == "__main__":
    print("hello worker: waiting for runs of hello/greet (Ctrl-C to stop)", flush=True)
    worker.run()
