"""`agentd serve` as a child process for the tests: started on a free port, restartable on the
same data and port, killed with SIGKILL when asked (the crash tests) and at the end."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
BIN = REPO / "packages" / "server" / "bin" / "agentd.js"
LISTENING = re.compile(r"^agentd listening on (http://\S+) ")
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/test"


def child_env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AGENTD_", "NODE_TEST", "PYTEST_"))}
    if "AGENTD_CHECK_TENANT_SCOPE" in os.environ:
        env["AGENTD_CHECK_TENANT_SCOPE"] = os.environ["AGENTD_CHECK_TENANT_SCOPE"]
    # The server runs from its TypeScript sources, as in the node test suite.
    if "--conditions=@agentd/source" not in env.get("NODE_OPTIONS", ""):
        env["NODE_OPTIONS"] = (env.get("NODE_OPTIONS", "") + " --conditions=@agentd/source").strip()
    env.update(extra)
    return env


class ServerProcess:
    def __init__(self, database_url: str | None = None) -> None:
        self.data_dir = tempfile.mkdtemp(prefix="agentd-pysdk-")
        self.database_url = database_url
        self.admin_key = "agd_" + secrets.token_urlsafe(30).replace("-", "x").replace("_", "x")[:40]
        self.port = 0
        self.url = ""
        self.proc: subprocess.Popen[str] | None = None
        self.output: list[str] = []

    def start(self, timeout: float = 60.0) -> None:
        args = ["node", str(BIN), "serve", "--host", "127.0.0.1", "--port", str(self.port), "--data-dir", self.data_dir,
                "--log-level", "warn"]
        if self.database_url:
            args += ["--database-url", self.database_url]
        # Webhooks may reach the tests' receiver on loopback (and nothing else private), polled often.
        env = child_env({"AGENTD_ADMIN_KEY": self.admin_key, "AGENTD_SWEEP_INTERVAL": "200ms", "AGENTD_EGRESS_ALLOW": "127.0.0.1",
                         "AGENTD_WEBHOOK_POLL_INTERVAL": "50ms", "AGENTD_SCHEDULE_INTERVAL": "100ms"})
        self.proc = subprocess.Popen(args, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        found: list[str] = []
        ready = threading.Event()

        def read(proc: subprocess.Popen[str]) -> None:
            assert proc.stdout is not None
            for line in proc.stdout:
                self.output.append(line.rstrip("\n"))
                m = LISTENING.match(line)
                if m and not ready.is_set():
                    found.append(m.group(1))
                    ready.set()
            ready.set()

        threading.Thread(target=read, args=(self.proc,), daemon=True).start()
        if not ready.wait(timeout) or not found:
            raise RuntimeError("agentd did not start:\n" + "\n".join(self.output[-40:]))
        self.url = found[0]
        self.port = int(self.url.rsplit(":", 1)[1])
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/v1/health/ready", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("agentd never became ready:\n" + "\n".join(self.output[-40:]))

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    def close(self) -> None:
        self.kill()
        shutil.rmtree(self.data_dir, ignore_errors=True)


def postgres_base() -> str:
    return os.environ.get("AGENTD_TEST_DATABASE_URL", DEFAULT_PG)


def psql(base: str, sql: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["psql", base, "-v", "ON_ERROR_STOP=1", "-qAtc", sql], capture_output=True, text=True, timeout=30)


def create_database() -> tuple[str, str] | None:
    """A database of this run's own on the shared server: (url, name), or None when unreachable."""
    base = postgres_base()
    name = f"agentd_pysdk_{uuid.uuid4().hex[:10]}"
    if psql(base, f'CREATE DATABASE "{name}"').returncode != 0:
        return None
    return base.rsplit("/", 1)[0] + "/" + name, name


def drop_database(name: str) -> None:
    psql(postgres_base(), f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
