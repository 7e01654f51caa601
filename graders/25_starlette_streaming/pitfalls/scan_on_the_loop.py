"""Calling the blocking scanner straight from the endpoint: every request waits for it.

`async def` does not make `scanner.scan()` asynchronous: it holds the event loop's thread
for half a second, and no other request (not even a health check) is served meanwhile.
"""

REJECTED_BY = {
    "test_scan_returns_the_scanner_verdict": "leak",
    "test_scan_runs_off_the_event_loop": "wrong_answer",
    # The second scan waits (2 s) for the first to overlap it, on the held loop: the engine
    # stops a loop held past 1 s, a verdict of the timeout kind.
    "test_two_scans_run_at_once": "timeout",
}


async def scan_upload(request: Request) -> JSONResponse:
    data = await request.body()
    verdict = request.app.state.scanner.scan(data)
    return JSONResponse({"verdict": verdict, "bytes": len(data)})
