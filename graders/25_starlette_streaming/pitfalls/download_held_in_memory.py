"""Downloading the artifact with `await store.get(...)`: the whole artifact sits in memory.

The hash is right, but `get()` reads the response body to the end before it returns, so a
500 MB artifact is 500 MB of RAM per request. `async with store.stream("GET", ...)` and
`response.aiter_bytes()` hand it over chunk by chunk.
"""

REJECTED_BY = {"test_large_artifact_is_hashed_in_bounded_memory": "wrong_answer"}


async def artifact_sha256(request: Request) -> JSONResponse:
    name = request.path_params["name"]
    store: httpx.AsyncClient = request.state.store
    response = await store.get(f"/artifacts/{name}")
    if response.status_code != 200:
        return JSONResponse({"error": f"store answered {response.status_code}"}, status_code=502)
    data = response.content
    return JSONResponse(
        {"name": name, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    )
