"""`await request.body()` before hashing: the whole upload sits in memory.

Right answer, wrong cost: a 500 MB artifact needs 500 MB of RAM (twice, while the chunks are
joined), and ten concurrent uploads take the server down.
"""

REJECTED_BY = {"test_large_upload_is_hashed_in_bounded_memory": "wrong_answer"}


async def sha256_upload(request: Request) -> JSONResponse:
    data = await request.body()
    return JSONResponse({"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)})
