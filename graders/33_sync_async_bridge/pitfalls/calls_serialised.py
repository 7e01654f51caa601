"""A lock around every call: one caller at a time waits for its result, the others queue."""

REJECTED_BY = {"test_calls_from_several_threads_overlap": "wrong_answer"}

_calls_lock = threading.Lock()
_original_call = LoopThread.call


def _call(self, coro_fn, *args, timeout=None):
    with _calls_lock:
        return _original_call(self, coro_fn, *args, timeout=timeout)


LoopThread.call = _call
