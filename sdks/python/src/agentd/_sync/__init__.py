# Generated from agentd/_async by scripts/unasync.py. Do not edit.
"""The async client, written by hand; `_sync` is generated from it by scripts/unasync.py."""
