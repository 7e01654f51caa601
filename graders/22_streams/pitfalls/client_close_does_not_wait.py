"""Closing the client without waiting until the connection is closed.

`writer.close()` only starts closing; the socket is released later, and `await
writer.wait_closed()` is what waits for it (and reports an error the close ran into).
"""

REJECTED_BY = {"test_client_close_closes_the_connection": "wrong_answer"}


async def _close(self: KVClient) -> None:
    try:
        await self.request("QUIT")
    except (ConnectionError, ProtocolError):
        pass
    finally:
        self._writer.close()


KVClient.close = _close
