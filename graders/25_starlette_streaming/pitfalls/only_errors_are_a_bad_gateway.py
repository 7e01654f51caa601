"""Treating the store's answer as failed only when `response.is_error` (4xx, 5xx).

A 204 No Content or a 206 Partial Content is not an error to httpx, yet neither carries the
whole artifact: hashing it answers 200 with the hash of nothing, or of half a file. Only a
200 is the artifact; anything else is a 502.
"""

REJECTED_BY = {"test_store_success_other_than_200_is_a_bad_gateway": "wrong_answer"}


async def artifact_sha256(request: Request) -> JSONResponse:
    name = request.path_params["name"]
    store: httpx.AsyncClient = request.state.store
    async with store.stream("GET", f"/artifacts/{name}") as response:
        if response.is_error:  # "4xx and 5xx are the failures"
            return JSONResponse(
                {"error": f"store answered {response.status_code}"}, status_code=502
            )
        digest = hashlib.sha256()
        size = 0
        async for chunk in response.aiter_bytes():
            digest.update(chunk)
            size += len(chunk)
    return JSONResponse({"name": name, "sha256": digest.hexdigest(), "bytes": size})
