"""A yielded value that is not a Future is ignored: the task waits forever."""

REJECTED_BY = {"test_yielding_something_else_fails_the_task": "wrong_answer"}


def _step(self, value, error):
    try:
        yielded = self._coro.throw(error) if error is not None else self._coro.send(value)
    except StopIteration as stop:
        self.set_result(stop.value)
        return
    except BaseException as exc:
        self.set_exception(exc)
        return
    if isinstance(yielded, Future):
        yielded.add_done_callback(self._wakeup)


Task._step = _step
