"""`future.result()` without a timeout: a slow decision holds the driver's thread for as
long as it takes."""

REJECTED_BY = {"test_decision_times_out": "wrong_answer"}


def overheat_handler(
    loop: asyncio.AbstractEventLoop,
    decide: Callable[[Reading], Coroutine[Any, Any, bool]],
    timeout: float = 5.0,
) -> Callable[[Reading], bool]:
    def on_overheat(reading: Reading) -> bool:
        return asyncio.run_coroutine_threadsafe(decide(reading), loop).result()

    return on_overheat
