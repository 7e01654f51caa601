"""A new httpx.AsyncClient in every request instead of the lifespan's shared one.

Each request builds a connection pool, opens a fresh TCP (and TLS) connection and tears it
all down again: slow, and a burst of requests opens a burst of connections to the store.
"""

REJECTED_BY = {"test_one_client_serves_every_request": "wrong_answer"}


async def artifact_sha256(request: Request) -> JSONResponse:
    name = request.path_params["name"]
    async with httpx.AsyncClient(
        base_url=ARTIFACT_STORE_URL, transport=request.app.state.store_transport
    ) as store:
        response = await store.get(f"/artifacts/{name}")
    if response.status_code != 200:
        return JSONResponse({"error": f"store answered {response.status_code}"}, status_code=502)
    digest = hashlib.sha256(response.content)
    return JSONResponse(
        {"name": name, "sha256": digest.hexdigest(), "bytes": len(response.content)}
    )
