"""A fixed port instead of port 0: the second server clashes with the first (and a port
below 1024 needs root)."""

REJECTED_BY = {"test_two_servers_get_two_free_ports": "exception"}

_solution_start_server = start_server
_next_port = [8765]


async def start_server(app, graceful_timeout=5, startup_timeout=10.0):
    import uvicorn as _uvicorn

    original = _uvicorn.Config.__init__

    def fixed(self, *args, **kwargs):
        kwargs["port"] = 8765
        original(self, *args, **kwargs)

    _uvicorn.Config.__init__ = fixed
    try:
        return await _solution_start_server(app, graceful_timeout, startup_timeout)
    finally:
        _uvicorn.Config.__init__ = original
