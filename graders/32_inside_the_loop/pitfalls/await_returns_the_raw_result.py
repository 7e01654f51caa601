"""`__await__` ends with `return self._result`: awaiting a future that failed gives back the
pending marker instead of raising its error."""

REJECTED_BY = {"test_await_yields_the_future_then_returns_its_result": "wrong_answer"}


def _await(self):
    if not self.done():
        yield self
    return self._result


Future.__await__ = _await
