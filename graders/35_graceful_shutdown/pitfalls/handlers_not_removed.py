"""remove() does nothing: the loop keeps its handlers after the service is done."""

REJECTED_BY = {"test_signal_handlers_set_stop_and_are_removed": "wrong_answer"}


def install_stop_handlers(loop, stop):
    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, stop.set)
    return lambda: None
