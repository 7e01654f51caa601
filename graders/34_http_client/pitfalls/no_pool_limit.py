"""The default pool (100 connections): a third request opens a third connection instead of waiting."""

REJECTED_BY = {"test_a_full_pool_raises_pool_timeout": "wrong_answer"}


def make_client(base_url, *, max_connections, pool_timeout, transport=None):
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=httpx.Timeout(
            connect=CONNECT_TIMEOUT, read=READ_TIMEOUT, write=WRITE_TIMEOUT, pool=pool_timeout
        ),
        transport=transport,
    )
