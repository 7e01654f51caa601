"""A second set_result() overwrites the first."""

REJECTED_BY = {"test_a_future_is_completed_once_only": "wrong_answer"}


def _complete(self, value, exception):
    self._result, self._exception = value, exception
    for callback in self._callbacks:
        self._loop.call_soon(callback, self)
    self._callbacks.clear()


Future._complete = _complete
