"""A global lock around the whole conversation: every client waits for the one before it.

The lock was meant to protect the store, but it is held for as long as a client stays
connected, so a slow client (or one that just keeps its connection open) blocks everybody.
`execute` never awaits, so the store needs no lock at all.
"""

REJECTED_BY = {"test_slow_client_does_not_delay_others": "timeout"}

_serve_alone = handle_connection
_store_lock = asyncio.Lock()


async def handle_connection(
    store: Store, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    async with _store_lock:  # "keep the store consistent"
        await _serve_alone(store, reader, writer)
