"""Calling the done callbacks directly from set_result(), instead of scheduling them.

A woken task then runs in the middle of whatever completed the future.
"""

REJECTED_BY = {"test_done_callbacks_are_scheduled_not_called": "wrong_answer"}


def _complete(self, value, exception):
    if self.done():
        raise InvalidStateError("the future is already done")
    self._result, self._exception = value, exception
    for callback in self._callbacks:
        callback(self)
    self._callbacks.clear()


Future._complete = _complete
