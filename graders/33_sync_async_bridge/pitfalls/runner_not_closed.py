"""close() closes the client but never the runner: its loop stays open."""

REJECTED_BY = {"test_close_closes_the_client_then_the_loop": "wrong_answer"}


def _close(self):
    self._runner.run(self._client.aclose())


SyncInventory.close = _close
