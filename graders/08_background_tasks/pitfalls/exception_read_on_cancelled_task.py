"""Reading `task.exception()` in the done callback without checking `task.cancelled()`.

On a cancelled task `exception()` raises CancelledError: the callback blows up, and the
event loop logs "Exception in callback TaskRegistry.task_done(...)" for every task that
was cancelled, on purpose, at shutdown.
"""

REJECTED_BY = {
    "test_cancelled_work_is_not_logged_as_failure": "leak",
    "test_close_cancels_work_past_the_grace_period": "leak",
}


def task_done(self, task):
    self._tasks.discard(task)
    exc = task.exception()
    if exc is not None:
        self.logger.error("background task %r failed", task.get_name(), exc_info=exc)


TaskRegistry.task_done = task_done
