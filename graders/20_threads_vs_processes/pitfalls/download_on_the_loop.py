"""Calling the blocking download straight from the coroutine: one download at a time.

The blocking client waits on the network on the loop's own thread; the downloads cannot
overlap and the whole loop stands still while each one waits.
"""

REJECTED_BY = {
    "test_downloads_overlap_up_to_workers": "wrong_answer",
    "test_downloads_run_off_the_event_loop": "wrong_answer",
}


async def download_all(store: LogStore, names: list[str], dest_dir: str, workers: int) -> list[str]:
    return [store.download(name, dest_dir) for name in names]
