"""run_service installs the handlers and never removes them."""

REJECTED_BY = {"test_run_service_stops_when_idle_and_removes_its_handlers": "wrong_answer"}


async def run_service(options):
    queue = asyncio.Queue()
    for job in range(options.jobs):
        queue.put_nowait(job)
    stop = asyncio.Event()
    install_stop_handlers(asyncio.get_running_loop(), stop)
    print("ready", flush=True)

    async def handle(job):
        await fake_job(job, options.job_seconds)
        if queue.empty() and options.exit_when_idle:
            stop.set()

    report = await serve(queue, handle, workers=options.workers, stop=stop, grace=options.grace)
    print(f"report: {report}", flush=True)
    return 0
