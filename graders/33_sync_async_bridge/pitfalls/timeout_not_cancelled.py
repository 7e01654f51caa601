"""On timeout, raise but leave the coroutine running on the loop."""

REJECTED_BY = {"test_timeout_cancels_the_coroutine": "wrong_answer"}


def _call(self, coro_fn, *args, timeout=None):
    future = asyncio.run_coroutine_threadsafe(coro_fn(*args), self.loop)
    return future.result(timeout)


LoopThread.call = _call
