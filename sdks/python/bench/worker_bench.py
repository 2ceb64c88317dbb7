"""Throughput of no-op runs through a Python worker beside the TypeScript worker, on one fresh
SQLite server, and the Python client's per-request overhead; prints one JSON object.

    cd sdks/python && .venv/bin/python bench/worker_bench.py      # BENCH_RUNS (default 5000)

Each worker is its own process (the Python one: one asyncio event loop, concurrency 50; the
TypeScript one: `@agentd/sdk/worker`, concurrency 50) serving a no-op agent of its own. Per worker:
a warm-up of 200 runs (not measured), then BENCH_RUNS runs created by one producer in batches of
500 (`POST /v1/runs/batch`) while the worker, already long-polling, drains them. The clock runs
from the first create request until the server lists no queued or running run of the agent
(checked every 20 ms); every run is then checked to be listed as succeeded. `cpu_us_per_run` is the
worker process's CPU time (user + system, from /proc) over the measured runs, per run
(`server_cpu_us_per_run` the server's, producer's requests included); `load_avg`
the machine's 1-minute load average at the start (the machine may be shared).

BENCH_PY_WORKER_PATH, when set, is put first on the Python worker's PYTHONPATH (a copy of another
version's src/, to measure two versions of the worker alternately against the same client)."""

from __future__ import annotations

import json
import os
import signal
import statistics
import sys
import time
from pathlib import Path
from typing import Any

SDK = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(SDK))

import httpx  # noqa: E402

from agentd import Agentd  # noqa: E402
from tests.procs import WorkerProcess  # noqa: E402
from tests.server import REPO, ServerProcess  # noqa: E402

BENCH = Path(__file__).resolve().parent
RUNS = int(os.environ.get("BENCH_RUNS", "5000"))
WARMUP = 200
BATCH = 500


def deploy(client: Agentd, name: str) -> None:
    client.agents.deploy({"apiVersion": "agentd.dev/v1", "kind": "Agent", "metadata": {"name": name},
                          "spec": {"runtime": "worker", "endpoints": {"noop": {"input": {}, "output": {}}}}})


def drain(client: Agentd, agent: str, n: int) -> dict[str, float]:
    started = time.perf_counter()
    left = n
    while left > 0:
        size = min(BATCH, left)
        client.runs.create_batch([{"agent": agent, "endpoint": "noop", "input": {}} for _ in range(size)])
        left -= size
    created = time.perf_counter() - started
    while next(iter(client.runs.list(agent=agent, status=["queued", "running"], limit=1)), None) is not None:
        time.sleep(0.02)
    return {"seconds": time.perf_counter() - started, "created_seconds": created}


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, from /proc (fields 14 and 15, in clock ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(client: Agentd, server: ServerProcess, kind: str) -> dict[str, Any]:
    agent = f"bench-{kind}"
    deploy(client, agent)
    if kind == "py":
        args = [str(BENCH / "py_noop_worker.py"), agent]
    else:
        args = ["node", "--conditions=@agentd/source", str(BENCH / "ts_noop_worker.ts"), agent]
    extra = os.environ.get("BENCH_PY_WORKER_PATH") if kind == "py" else None
    env = {"PYTHONPATH": os.pathsep.join(p for p in (extra, os.environ.get("PYTHONPATH")) if p)} if extra else None
    worker = WorkerProcess(args, url=server.url, api_key=server.admin_key, cwd=REPO, python=kind == "py", env=env)
    try:
        worker.wait_for_line("ready")
        drain(client, agent, WARMUP)
        assert server.proc is not None
        cpu, server_cpu = cpu_seconds(worker.proc.pid), cpu_seconds(server.proc.pid)
        t = drain(client, agent, RUNS)
        cpu, server_cpu = cpu_seconds(worker.proc.pid) - cpu, cpu_seconds(server.proc.pid) - server_cpu
        succeeded = sum(1 for _ in client.runs.list(agent=agent, status="succeeded", limit=500))
        if succeeded != RUNS + WARMUP:
            raise SystemExit(f"{kind}: {succeeded} runs succeeded, expected {RUNS + WARMUP}")
        worker.proc.send_signal(signal.SIGTERM)
        worker.wait()
        return {"runs_per_sec": round(RUNS / t["seconds"]), "seconds": round(t["seconds"], 3),
                "created_seconds": round(t["created_seconds"], 3), "cpu_us_per_run": round(cpu / RUNS * 1e6),
                "server_cpu_us_per_run": round(server_cpu / RUNS * 1e6)}
    finally:
        worker.close()


def overhead(client: Agentd, server: ServerProcess, n: int = 500) -> dict[str, float]:
    """Median round trip of `client.runs.retrieve(id)` beside the same GET through bare httpx."""
    run_id = client.runs.create(agent="bench-py", endpoint="noop", input={}).id
    headers = {"Authorization": f"Bearer {server.admin_key}"}
    sdk, raw = [], []
    with httpx.Client(base_url=server.url, headers=headers) as http:
        for _ in range(n):
            a = time.perf_counter()
            client.runs.retrieve(run_id)
            b = time.perf_counter()
            http.get(f"/v1/runs/{run_id}").raise_for_status()
            c = time.perf_counter()
            sdk.append(b - a)
            raw.append(c - b)
    return {"sdk_request_p50_us": round(statistics.median(sdk) * 1e6), "httpx_request_p50_us": round(statistics.median(raw) * 1e6),
            "client_overhead_p50_us": round((statistics.median(sdk) - statistics.median(raw)) * 1e6)}


def main() -> None:
    load = round(os.getloadavg()[0], 2)
    server = ServerProcess()
    server.start()
    try:
        with Agentd(base_url=server.url, api_key=server.admin_key) as client:
            py = measure(client, server, "py")
            ts = measure(client, server, "ts")
            result = {"backend": "sqlite", "runs": RUNS, "load_avg": load, "concurrency": 50,
                      "python_worker": py, "ts_worker": ts,
                      "python_vs_ts": round(py["runs_per_sec"] / ts["runs_per_sec"], 2), **overhead(client, server),
                      "verified": True}
        print(json.dumps(result))
    finally:
        server.close()


if __name__ == "__main__":
    main()
