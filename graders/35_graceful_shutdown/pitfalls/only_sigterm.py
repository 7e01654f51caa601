"""Only SIGTERM is handled: Ctrl-C still goes to asyncio.run(), which cancels everything
and ends with KeyboardInterrupt."""

REJECTED_BY = {
    "test_signal_handlers_set_stop_and_are_removed": "wrong_answer",
    "test_ctrl_c_shuts_down_gracefully": "wrong_answer",
}


def install_stop_handlers(loop, stop):
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    return lambda: loop.remove_signal_handler(signal.SIGTERM)
