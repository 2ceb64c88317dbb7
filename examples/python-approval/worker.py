"""The refund agent's worker in Python (the manifest is examples/approval/agent.yaml): asks for
approval before the side effect, then calls the payment provider with the granted secret
`payments_key`.

Reads AGENTD_URL and AGENTD_API_KEY; run it with
`sdks/python/.venv/bin/python examples/python-approval/worker.py`. The key must be a worker key
that names `refund` (`agentd keys create --role worker --agents refund`): only such a key receives
the agent's secrets. With an admin key it leases, but `ctx.secrets.get` raises, saying why.

The approval is durable: if this worker (or the server) dies while a person decides, the run is
retried and the retried attempt gets the same approval back, decided if it was.
"""

from __future__ import annotations

from typing import Any

from agentd import Agentd
from agentd.worker import Context, Worker

# A short lease: if this worker dies while waiting, another one takes over within seconds.
worker = Worker(Agentd(), agent="refund", concurrency=5, lease_ttl_ms=6000)


async def refund_with_provider(api_key: str, amount: float) -> bool:
    """Stands in for a payment provider's API: it only checks that it was handed a key."""
    return len(api_key) > 0 and amount > 0


@worker.endpoint("issue")
async def issue(input: Any, ctx: Context) -> dict[str, Any]:
    amount = input["amount"]
    await ctx.log(f"asking for approval to refund {amount}")
    decision = await ctx.approval(prompt=f"Refund {amount}?", payload={"amount": amount, "reason": input.get("reason")},
                                  timeout_ms=24 * 3_600_000, on_timeout="reject")
    if not decision.approved:
        await ctx.log("refund not approved", fields={"reason": decision.reason})
        return {"refunded": False, "token_used": False, "decided_by": decision.decided_by, "note": decision.reason}
    key = await ctx.secrets.get("payments_key")
    refunded = await refund_with_provider(key, amount)
    await ctx.log("refund issued", fields={"amount": amount})
    return {"refunded": refunded, "token_used": True, "decided_by": decision.decided_by, "note": decision.comment}


if __name__ == "__main__":
    print("refund worker: waiting for runs of refund/issue (Ctrl-C to stop)", flush=True)
    worker.run()
