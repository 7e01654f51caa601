"""Yielding the client under a key of one's own, `{"artifact_store": client}`.

The lifespan's keys are the state every endpoint reads: the service's documented key is
`store` (`request.state.store`). An endpoint written against it finds no client, even if the
author's own endpoint, reading the other name, works.
"""

REJECTED_BY = {"test_client_is_shared_as_request_state_store": "wrong_answer"}


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
    async with httpx.AsyncClient(
        base_url=ARTIFACT_STORE_URL, transport=app.state.store_transport
    ) as client:
        yield {"artifact_store": client}


async def artifact_sha256(request: Request) -> JSONResponse:
    name = request.path_params["name"]
    store: httpx.AsyncClient = request.state.artifact_store
    async with store.stream("GET", f"/artifacts/{name}") as response:
        if response.status_code != 200:
            return JSONResponse(
                {"error": f"store answered {response.status_code}"}, status_code=502
            )
        digest = hashlib.sha256()
        size = 0
        async for chunk in response.aiter_bytes():
            digest.update(chunk)
            size += len(chunk)
    return JSONResponse({"name": name, "sha256": digest.hexdigest(), "bytes": size})
