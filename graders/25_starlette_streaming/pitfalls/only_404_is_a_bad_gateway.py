"""Answering 502 only for the store's 404: any other error status is hashed as an artifact.

A 503 from a busy store has a body too (an error page): hashing it gives a wrong hash with
a 200. Every status other than 200 is the store failing.
"""

REJECTED_BY = {"test_store_error_is_a_bad_gateway": "wrong_answer"}


async def artifact_sha256(request: Request) -> JSONResponse:
    name = request.path_params["name"]
    store: httpx.AsyncClient = request.state.store
    async with store.stream("GET", f"/artifacts/{name}") as response:
        if response.status_code == 404:
            return JSONResponse({"error": "store answered 404"}, status_code=502)
        digest = hashlib.sha256()
        size = 0
        async for chunk in response.aiter_bytes():
            digest.update(chunk)
            size += len(chunk)
    return JSONResponse({"name": name, "sha256": digest.hexdigest(), "bytes": size})
