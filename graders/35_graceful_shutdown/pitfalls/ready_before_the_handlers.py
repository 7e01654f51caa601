"""`ready` printed before the handlers are installed: a supervisor that sends SIGTERM on
`ready` may kill the process before it can shut down gracefully."""

REJECTED_BY = {"test_handlers_are_installed_before_ready": "wrong_answer"}


async def run_service(options):
    queue = asyncio.Queue()
    for job in range(options.jobs):
        queue.put_nowait(job)
    stop = asyncio.Event()
    print("ready", flush=True)
    remove = install_stop_handlers(asyncio.get_running_loop(), stop)
    try:

        async def handle(job):
            await fake_job(job, options.job_seconds)
            if queue.empty() and options.exit_when_idle:
                stop.set()

        report = await serve(queue, handle, workers=options.workers, stop=stop, grace=options.grace)
    finally:
        remove()
    print(f"report: {report}", flush=True)
    return 0
