"""Giving decide a second `timeout` before cancelling: the driver waits twice as long.

After `future.result(timeout)` has raised, the handler waits on the same future again "to
give it one more chance": the driver's thread is held for 2 x timeout instead of raising
TimeoutError as soon as the timeout has passed.
"""

REJECTED_BY = {"test_decision_times_out": "wrong_answer"}


def overheat_handler(
    loop: asyncio.AbstractEventLoop,
    decide: Callable[[Reading], Coroutine[Any, Any, bool]],
    timeout: float = 5.0,
) -> Callable[[Reading], bool]:
    def on_overheat(reading: Reading) -> bool:
        future = asyncio.run_coroutine_threadsafe(decide(reading), loop)
        try:
            return future.result(timeout)
        except TimeoutError:
            try:
                return future.result(timeout)  # one more chance before giving up
            finally:
                future.cancel()

    return on_overheat
