"""The given transport is dropped: the client goes to the network instead of the test's service."""

REJECTED_BY = {"test_relative_urls_go_to_the_base_url": "exception"}


def make_client(base_url, *, max_connections, pool_timeout, transport=None):
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=httpx.Timeout(
            connect=CONNECT_TIMEOUT, read=READ_TIMEOUT, write=WRITE_TIMEOUT, pool=pool_timeout
        ),
        limits=httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=max_connections
        ),
    )
