"""Generated from packages/server/openapi.json by scripts/generate_models.py. Do not edit.

The base of every model: extra fields are allowed, so a newer server's additions reach the caller
instead of failing validation; `.model_dump()` gives the wire JSON (aliases applied, nothing dropped).
"""

from pydantic import BaseModel, ConfigDict


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True, serialize_by_alias=True)
