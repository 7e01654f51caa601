"""result() on a pending future returns None instead of raising."""

REJECTED_BY = {"test_result_while_pending_raises_invalid_state": "wrong_answer"}


def _result(self):
    if self._exception is not None:
        raise self._exception
    return None if self._result is _PENDING else self._result


Future.result = _result
