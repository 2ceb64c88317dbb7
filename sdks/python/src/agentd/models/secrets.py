"""Generated from packages/server/openapi.json by scripts/generate_models.py. Do not edit.

The models of the `secrets` area (first needed by its operations; see the script's rules).
"""

from __future__ import annotations

from typing import Literal

from agentd.models._base import _Model


class Secret(_Model):
    name: str
    description: str | None
    version: int
    "The current version: what the next lease delivers."
    kek_id: str
    "Fingerprint of the master key wrapping the current version's data key (never the key)."
    created_at: str
    updated_at: str


class SecretDetailVersionsItem(_Model):
    version: int
    kek_id: str
    created_at: str


class SecretDetail(_Model):
    name: str
    description: str | None
    version: int
    "The current version: what the next lease delivers."
    kek_id: str
    "Fingerprint of the master key wrapping the current version's data key (never the key)."
    created_at: str
    updated_at: str
    versions: list[SecretDetailVersionsItem]


class SecretDeleted(_Model):
    name: str
    deleted: Literal[True]
    grants_revoked: int


class SecretRewrapResultFailedItem(_Model):
    name: str
    version: int
    kek_id: str
    reason: str


class SecretRewrapResult(_Model):
    kek_id: str
    "The current master key id: every moved version now names it."
    rewrapped: int
    failed: list[SecretRewrapResultFailedItem]


class PostSecretsBody(_Model):
    name: str
    "Lower-case letters, digits and _, starting with a letter."
    value: str
    "Write-only: stored encrypted, never returned, logged or put in an event."
    description: str | None = None


class PostSecretsByNameRotateBody(_Model):
    "Adds a version; `description`, when given, replaces the old one."

    value: str
    "Write-only: stored encrypted, never returned, logged or put in an event."
    description: str | None = None

__all__ = [
    "PostSecretsBody",
    "PostSecretsByNameRotateBody",
    "Secret",
    "SecretDeleted",
    "SecretDetail",
    "SecretDetailVersionsItem",
    "SecretRewrapResult",
    "SecretRewrapResultFailedItem",
]
