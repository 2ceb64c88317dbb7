"""The wire models, under their earlier name: `agentd.models` (generated, one module per API area)
re-exported, so `from agentd._models import Run` keeps working."""

from agentd.models import *  # noqa: F403
from agentd.models import __all__ as __all__
