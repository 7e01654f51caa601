"""stop() asks the loop to stop but neither waits for its thread nor closes it."""

REJECTED_BY = {"test_stop_leaves_nothing_behind": "wrong_answer"}


def _stop(self):
    if self._loop is None:
        return
    loop = self._loop

    async def cancel_the_rest():
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    asyncio.run_coroutine_threadsafe(cancel_the_rest(), loop).result()
    loop.call_soon_threadsafe(loop.stop)


LoopThread.stop = _stop
