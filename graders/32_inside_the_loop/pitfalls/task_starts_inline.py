"""Task() runs the first step itself instead of scheduling it."""

REJECTED_BY = {"test_task_starts_at_the_next_turn": "wrong_answer"}


def _init(self, coro, loop):
    Future.__init__(self, loop)
    self._coro = coro
    self._step(None, None)


Task.__init__ = _init
