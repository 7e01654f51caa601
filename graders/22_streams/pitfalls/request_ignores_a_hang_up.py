"""Returning whatever readline() gave: a server that hung up looks like an empty reply.

`readline()` returns b"" at the end of the stream; decoded, that is the reply "". The
caller then gets a wrong answer instead of an error saying the server went away.
"""

REJECTED_BY = {"test_request_raises_protocol_error_when_the_server_hangs_up": "wrong_answer"}


async def _request(self: KVClient, line: str) -> str:
    self._writer.write(line.encode() + b"\n")
    await self._writer.drain()
    return (await self._reader.readline()).decode().rstrip("\n")


KVClient.request = _request
