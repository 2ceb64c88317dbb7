"""The wire models (generated from the OpenAPI document), for type annotations."""

from agentd.models import *  # noqa: F403
from agentd.models import __all__ as __all__
