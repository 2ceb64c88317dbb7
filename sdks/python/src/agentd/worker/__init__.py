"""The worker runtime: `Worker(client, agent=...)`, `@worker.endpoint(name)`, `worker.run()`."""

from agentd.worker._context import ApprovalDecision, Context, TaskSecrets
from agentd.worker._errors import ChildRunFailed, LeaseLostError, NonRetryableError, SecretNotGrantedError
from agentd.worker._worker import Worker

__all__ = ["ApprovalDecision", "ChildRunFailed", "Context", "LeaseLostError", "NonRetryableError", "SecretNotGrantedError", "TaskSecrets", "Worker"]
