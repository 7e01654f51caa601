"""Aborting the connections in aclose() but not waiting for their handlers.

`transport.abort()` only starts the end: each handler still has to see the end of its
stream and run its `finally`, a few loop steps later. aclose() returns while they still
run, so "the server is closed" is not true yet when the caller goes on.
"""

REJECTED_BY = {"test_aclose_ends_every_connection": "wrong_answer"}


async def _aclose(self: KVServer) -> None:
    if self._server is None:
        return
    self._server.close()
    for writer in list(self._writers):
        writer.transport.abort()
    self._server = None  # "the connections are aborted, we are done"


KVServer.aclose = _aclose
