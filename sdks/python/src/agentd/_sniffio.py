"""httpcore asks `import sniffio` which event loop runs each time it makes a lock or an event (a
few per request). anyio no longer depends on sniffio, so it is often not installed, and then each
of those imports searches every sys.path entry again before failing (about a thousand function
calls and two dozen stat() calls per request). Recording it as absent, once, makes the import fail
at once with the same ModuleNotFoundError: httpcore then assumes asyncio, as it does anyway."""

from __future__ import annotations

import importlib.util
import sys


def skip_missing_sniffio() -> None:
    if "sniffio" in sys.modules:
        return
    try:
        missing = importlib.util.find_spec("sniffio") is None
    except (ImportError, ValueError):
        missing = False
    if missing:
        # A None entry in sys.modules is Python's documented "known to be absent": import raises ModuleNotFoundError.
        sys.modules["sniffio"] = None  # type: ignore[assignment]
