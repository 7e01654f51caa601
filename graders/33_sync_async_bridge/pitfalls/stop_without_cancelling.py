"""stop() stops the loop and closes it, with a task still pending on it."""

REJECTED_BY = {"test_stop_leaves_nothing_behind": "wrong_answer"}


def _stop(self):
    if self._loop is None or self._thread is None:
        return
    loop = self._loop
    loop.call_soon_threadsafe(loop.stop)
    self._thread.join()
    loop.close()
    self._loop = None
    self._thread = None


LoopThread.stop = _stop
