"""Keeping every task ever spawned: nothing is lost, but the registry grows forever.

A service spawns background work on every request; a registry that never lets go of
finished tasks (and their results and tracebacks) is a memory leak.
"""

REJECTED_BY = {"test_finished_tasks_are_forgotten": "wrong_answer"}


def task_done(self, task):
    if task.cancelled():
        return
    exc = task.exception()
    if exc is not None:
        self.logger.error("background task %r failed", task.get_name(), exc_info=exc)


TaskRegistry.task_done = task_done
