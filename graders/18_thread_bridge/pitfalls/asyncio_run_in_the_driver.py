"""Running `decide` with `asyncio.run()` in the driver's thread: a second event loop.

The answer looks right, but the coroutine runs on a new loop in the wrong thread, away from
the application's loop and everything bound to it (clients, locks, queues).
"""

REJECTED_BY = {"test_decision_runs_on_the_event_loop": "wrong_answer"}


def overheat_handler(
    loop: asyncio.AbstractEventLoop,
    decide: Callable[[Reading], Coroutine[Any, Any, bool]],
    timeout: float = 5.0,
) -> Callable[[Reading], bool]:
    def on_overheat(reading: Reading) -> bool:
        return asyncio.run(decide(reading))

    return on_overheat
