"""run_service never installs the handlers: SIGTERM kills the process, with no report."""

REJECTED_BY = {"test_sigterm_drains_and_exits_zero": "wrong_answer"}


async def run_service(options):
    queue = asyncio.Queue()
    for job in range(options.jobs):
        queue.put_nowait(job)
    stop = asyncio.Event()
    print("ready", flush=True)

    async def handle(job):
        await fake_job(job, options.job_seconds)

    report = await serve(queue, handle, workers=options.workers, stop=stop, grace=options.grace)
    print(f"report: {report}", flush=True)
    return 0
