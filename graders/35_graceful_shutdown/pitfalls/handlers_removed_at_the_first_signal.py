"""The handler removes both handlers as soon as it has set the stop: a second SIGTERM
during the grace period finds the default action, and kills the process (exit code -15)."""

REJECTED_BY = {"test_a_second_signal_while_serving_changes_nothing": "wrong_answer"}


def install_stop_handlers(loop, stop):
    def once():
        stop.set()
        for sig in STOP_SIGNALS:
            loop.remove_signal_handler(sig)

    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, once)

    def remove():
        for sig in STOP_SIGNALS:
            loop.remove_signal_handler(sig)

    return remove
