"""Starting the task with a bare `create_task` and keeping no reference to it.

The event loop holds tasks only weakly: a task waiting on something only it can reach is
garbage-collected mid-way and never finishes.
"""

REJECTED_BY = {"test_spawned_task_survives_garbage_collection": "wrong_answer"}


def spawn(self, coro, *, name=None):
    if self._closed:
        coro.close()
        raise RuntimeError("closed")
    task = asyncio.create_task(coro, name=name)  # "the loop keeps it running"
    task.add_done_callback(self.task_done)
    return task


TaskRegistry.spawn = spawn
