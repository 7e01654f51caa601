"""Rescheduling to the old deadline plus idle_timeout: time saved by fast chunks piles up,
so a stall is noticed late."""

REJECTED_BY = {"test_stall_times_out_after_the_last_chunk": "wrong_answer"}


async def download(chunks, idle_timeout):
    parts = []
    async with asyncio.timeout(idle_timeout) as cm:
        async for chunk in chunks:
            parts.append(chunk)
            cm.reschedule(cm.when() + idle_timeout)
    return b"".join(parts)
