"""Testing "pending" with `==` instead of `is`: a value that equals everything (mock.ANY,
and anything with a generous __eq__) makes a done future look pending."""

REJECTED_BY = {"test_a_future_holds_any_value": "wrong_answer"}


def _done(self):
    return self._result != _PENDING or self._exception is not None


Future.done = _done
