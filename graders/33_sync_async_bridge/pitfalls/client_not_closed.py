"""close() closes the runner without closing the client first."""

REJECTED_BY = {"test_close_closes_the_client_then_the_loop": "wrong_answer"}


def _close(self):
    self._runner.close()


SyncInventory.close = _close
