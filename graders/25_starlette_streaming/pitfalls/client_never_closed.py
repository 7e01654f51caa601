"""Creating the shared client in the lifespan but never closing it.

Its connection pool stays open after shutdown: sockets leak, and httpx cannot flush or
release them cleanly.
"""

REJECTED_BY = {"test_store_client_is_closed_at_shutdown": "wrong_answer"}


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
    client = httpx.AsyncClient(base_url=ARTIFACT_STORE_URL, transport=app.state.store_transport)
    yield {"store": client}
