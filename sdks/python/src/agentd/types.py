"""The wire models (generated from the OpenAPI document), for type annotations."""

from agentd._models import *  # noqa: F403
from agentd._models import __all__ as __all__
