"""stop() cancels the tasks still running but does not wait for them before stopping the
loop: their cleanup is cut short (or runs, if at all, while the loop is torn down)."""

REJECTED_BY = {"test_stop_leaves_nothing_behind": "wrong_answer"}


def _stop(self):
    if self._loop is None or self._thread is None:
        return
    loop = self._loop

    async def cancel_the_rest():
        for task in asyncio.all_tasks():
            if task is not asyncio.current_task():
                task.cancel()

    asyncio.run_coroutine_threadsafe(cancel_the_rest(), loop).result()
    loop.call_soon_threadsafe(loop.stop)
    self._thread.join()
    loop.run_until_complete(loop.shutdown_asyncgens())
    loop.close()
    self._loop = None
    self._thread = None


LoopThread.stop = _stop
