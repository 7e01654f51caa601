"""start() starts the thread and returns at once, before the loop runs in it."""

REJECTED_BY = {"test_start_returns_once_the_loop_runs": "wrong_answer"}


def _start(self):
    loop = asyncio.new_event_loop()

    def run():
        asyncio.set_event_loop(loop)
        loop.run_forever()

    self._loop = loop
    self._thread = threading.Thread(target=run, name="loop-thread")
    self._thread.start()


LoopThread.start = _start
