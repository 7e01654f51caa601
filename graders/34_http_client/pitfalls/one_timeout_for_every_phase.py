"""`httpx.Timeout(pool_timeout)`: one number for every phase, so a dead host takes as long as a full pool."""

REJECTED_BY = {"test_client_has_a_timeout_per_phase": "wrong_answer"}


def make_client(base_url, *, max_connections, pool_timeout, transport=None):
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=httpx.Timeout(pool_timeout),
        limits=httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=max_connections
        ),
        transport=transport,
    )
