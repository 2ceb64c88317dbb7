"""Python worker processes for the tests: started with the server's URL and a key, their output
read line by line on a thread so a test can wait for a line without blocking on the pipe."""

from __future__ import annotations

import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.server import REPO, child_env

SDK = REPO / "sdks" / "python"


class WorkerProcess:
    def __init__(self, args: list[str], *, url: str, api_key: str, env: dict[str, str] | None = None, cwd: Path = SDK,
                 python: bool = True) -> None:
        """`args` are Python's (a script or `-m module`), or a whole command line with python=False."""
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        self.proc = subprocess.Popen([sys.executable, *args] if python else args, cwd=cwd, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True,
                                     env=child_env({"AGENTD_URL": url, "AGENTD_API_KEY": api_key, "PYTHONUNBUFFERED": "1", **(env or {})}))
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.output.append(line)
            self.lines.put(line)

    def wait_for_line(self, text: str, timeout: float = 60.0) -> str:
        """The first line from now on containing `text` (a liveness bound, not a timing assertion)."""
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no line with {text!r} in the worker's output:\n{''.join(self.output)}")
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            if text in line:
                return line

    def wait(self, timeout: float = 60.0) -> int:
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired as err:
            raise AssertionError(f"the worker did not exit:\n{''.join(self.output)}") from err

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
