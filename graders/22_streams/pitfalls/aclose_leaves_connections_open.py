"""Closing only the listening socket: the clients already connected are still being served.

`server.close()` stops accepting new connections; it does not touch the accepted ones, and
their handler tasks keep running after aclose() returns (on 3.12+, `wait_closed()` even
waits for them forever).
"""

REJECTED_BY = {"test_aclose_ends_every_connection": "timeout"}


async def _aclose(self: KVServer) -> None:
    if self._server is None:
        return
    self._server.close()
    await self._server.wait_closed()
    self._server = None


KVServer.aclose = _aclose
