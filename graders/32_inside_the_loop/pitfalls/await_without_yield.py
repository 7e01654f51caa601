"""`__await__` that never yields: awaiting a pending future asks for its result at once."""

REJECTED_BY = {"test_await_yields_the_future_then_returns_its_result": "wrong_answer"}


def _await(self):
    return self.result()
    yield  # still a generator, but the yield is never reached


Future.__await__ = _await
