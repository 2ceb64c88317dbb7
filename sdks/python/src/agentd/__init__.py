"""agentd: typed sync and async clients for the agentd API (`Agentd`, `AsyncAgentd`).

The worker runtime is `agentd.worker.Worker`.
"""

from agentd import manifest
from agentd._async._client import AsyncAgentd
from agentd._async._page import AsyncPage
from agentd._async._stream import AsyncEventStream
from agentd._errors import (
    AgentdError,
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    GoneError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RunWaitTimeoutError,
    UnprocessableEntityError,
)
from agentd._sync._client import Agentd
from agentd._sync._page import Page
from agentd._sync._stream import EventStream

__all__ = [
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "Agentd",
    "AgentdError",
    "AsyncAgentd",
    "AsyncEventStream",
    "AsyncPage",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "EventStream",
    "GoneError",
    "InternalServerError",
    "NotFoundError",
    "Page",
    "PermissionDeniedError",
    "RateLimitError",
    "RunWaitTimeoutError",
    "UnprocessableEntityError",
    "manifest",
]
