"""Forgetting finished tasks without looking at how they ended.

A failed background task's exception is never read: nothing is logged, and asyncio only
prints "Task exception was never retrieved" whenever the task is garbage-collected.
"""

REJECTED_BY = {
    "test_failures_are_logged": "wrong_answer",
    "test_failure_does_not_disturb_other_work": "leak",
}


def task_done(self, task):
    self._tasks.discard(task)


TaskRegistry.task_done = task_done
