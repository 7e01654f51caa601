"""Cancelling the connection tasks in aclose() without awaiting them.

`task.cancel()` only asks: each handler ends later, at its next `await`, after running its
`finally`. aclose() returns while they are still unwinding.
"""

REJECTED_BY = {"test_aclose_ends_every_connection": "wrong_answer"}


async def _aclose(self: KVServer) -> None:
    if self._server is None:
        return
    self._server.close()
    for task in list(self._handlers):
        task.cancel()
    self._server = None  # "the handlers are cancelled, we are done"


KVServer.aclose = _aclose
