#!/usr/bin/env python3
"""Writes src/agentd/_sync/ from src/agentd/_async/ (the async code is the one written by hand),
so the two clients cannot drift apart. Like httpcore's unasync: token replacements, plus blocks
between `# unasync: skip-start` and `# unasync: skip-end` that only make sense when async.

Run: python3 sdks/python/scripts/unasync.py [--check]
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent / "src" / "agentd"
SOURCE, TARGET = PKG / "_async", PKG / "_sync"

REPLACEMENTS: list[tuple[str, str]] = [
    (r"\basync def\b", "def"),
    (r"\basync with\b", "with"),
    (r"\basync for\b", "for"),
    (r"\bawait ", ""),
    (r"\basyncio\.sleep\b", "time.sleep"),
    (r"\bcontextlib\.asynccontextmanager\b", "contextlib.contextmanager"),
    (r"\b__aenter__\b", "__enter__"),
    (r"\b__aexit__\b", "__exit__"),
    (r"\b__aiter__\b", "__iter__"),
    (r"\baclose\b", "close"),
    (r"\baread\b", "read"),
    (r"\baiter_sse\b", "iter_sse"),
    (r"\bAwaitable\[(\w+)\]", r"\1"),
    (r"\bagentd\._async\b", "agentd._sync"),
    (r"\bAsyncIterator\b", "Iterator"),
    (r"\bhttpx\.AsyncClient\b", "httpx.Client"),
    (r"\bAsync(\w+)", r"\1"),
]
SKIP = re.compile(r"^\s*# unasync: skip-start\n.*?^\s*# unasync: skip-end\n(\s*\n)?", re.S | re.M)


def convert(text: str) -> str:
    text = SKIP.sub("", text)
    # Names only the async code uses (awaitables) leave the sync file's imports.
    text = re.sub(r"^(from collections\.abc import .*)$", lambda m: re.sub(r", (Awaitable|Generator)\b", "", m.group(1)), text, flags=re.M)
    for pattern, repl in REPLACEMENTS:
        text = re.sub(pattern, repl, text)
    # The sync code sleeps with time.sleep; keep one `import time`, drop `import asyncio`.
    text = text.replace("import asyncio\n", "" if "import time\n" in text else "import time\n")
    header = "# Generated from agentd/_async by scripts/unasync.py. Do not edit.\n"
    return header + text


def outputs() -> dict[Path, str]:
    return {TARGET / src.name: convert(src.read_text()) for src in sorted(SOURCE.glob("*.py"))}


def main() -> int:
    files = outputs()
    if "--check" in sys.argv[1:]:
        stale = [p for p, t in files.items() if not p.exists() or p.read_text() != t]
        extra = [p for p in TARGET.glob("*.py") if p not in files]
        for p in stale + extra:
            print(f"{p} is out of date: run python3 sdks/python/scripts/unasync.py", file=sys.stderr)
        return 1 if stale or extra else 0
    TARGET.mkdir(exist_ok=True)
    for p in TARGET.glob("*.py"):
        if p not in files:
            p.unlink()
    for p, t in files.items():
        p.write_text(t)
    return 0


if __name__ == "__main__":
    sys.exit(main())
