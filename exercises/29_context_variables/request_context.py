"""Context variables: a request ID and a deadline that follow the work into tasks and threads.

A web service handles many requests at once on one event loop. Every log line should say
which request it belongs to, and every part of the work (child tasks, threads, an executor)
should know the request's deadline, without passing both through every function.

1. `RequestIdFilter.filter(record)`: stamp `record.request_id` with the current
   `REQUEST_ID` ("-" outside a request) and keep the record.
2. `handle_request(request, backend, audit_pool)`: set `REQUEST_ID` and `DEADLINE` for the
   request (and put the caller's values back when done, however it ends); fetch the user
   and the orders concurrently in a `TaskGroup`, under `asyncio.timeout_at(deadline)`;
   render the page with `asyncio.to_thread`; audit it on `audit_pool` with
   `loop.run_in_executor`, copying the context (`contextvars.copy_context().run`).
3. `handle_all(requests, backend, audit_pool)`: handle every request concurrently, each in
   its own context, and return the responses in request order.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

# The two variables every part of a request reads. A ContextVar holds one value per
# context: each task runs in a copy of the context it was created in, so concurrent
# requests never see each other's values, whatever the interleaving.
REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar("deadline", default=None)

log = logging.getLogger("request_context")


@dataclass(frozen=True)
class Request:
    """One incoming request: its ID, the user it is for, and its deadline in loop time."""

    id: str
    user: str
    deadline: float


@dataclass(frozen=True)
class Response:
    """What `handle_request` returns."""

    request_id: str
    user: dict[str, str]
    orders: list[str]
    page: str
    audit: str


class Backend(Protocol):
    """The services a request uses: two async calls and two blocking ones."""

    async def user(self, name: str) -> dict[str, str]: ...

    async def orders(self, name: str) -> list[str]: ...

    def render(self, user: dict[str, str], orders: list[str]) -> str: ...

    def audit(self, page: str) -> str: ...


class FakeBackend:
    """A backend that logs every call, so the request ID of each log line can be seen."""

    def __init__(self, latency: float = 0.05) -> None:
        self.latency = latency

    async def user(self, name: str) -> dict[str, str]:
        log.info("loading user %s", name)
        await asyncio.sleep(self.latency)
        return {"name": name}

    async def orders(self, name: str) -> list[str]:
        log.info("loading orders of %s", name)
        await asyncio.sleep(self.latency)
        return [f"{name}-order-1"]

    def render(self, user: dict[str, str], orders: list[str]) -> str:
        log.info("rendering the page of %s", user["name"])  # runs in a thread
        return f"<h1>{user['name']}</h1>{len(orders)} orders"

    def audit(self, page: str) -> str:
        log.info("auditing %d bytes", len(page))  # runs on the audit pool
        return f"audited {len(page)} bytes"


class RequestIdFilter(logging.Filter):
    """Adds `record.request_id` to every log record: the request being handled, or "-"."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Stamp the record with the current request ID and keep it.

        Args:
            record: the log record about to be emitted (in whatever thread logged it).

        Returns:
            True: the filter only adds information, it never drops a record.

        Example:
            With `REQUEST_ID` set to "r-7" in the current context, a record logged here
            gets `record.request_id == "r-7"`; outside any request, "-".
        """
        # TODO: step 1
        raise NotImplementedError(
            "Step 1: stamp record.request_id with REQUEST_ID and keep the record."
        )


async def handle_request(request: Request, backend: Backend, audit_pool: Executor) -> Response:
    """Handle one request with its ID and deadline visible to every part of the work.

    Args:
        request: the request; `request.deadline` is a time of the running loop's clock.
        backend: the services to call.
        audit_pool: the executor the audit must run on.

    Returns:
        The response, with the user, the orders, the rendered page and the audit result.

    Raises:
        TimeoutError: the user and the orders did not both arrive by the deadline.
        Whatever the backend raised. In every case `REQUEST_ID` and `DEADLINE` are back
        to the caller's values when this returns or raises.

    Example:
        >>> async def demo() -> str:
        ...     loop = asyncio.get_running_loop()
        ...     with ThreadPoolExecutor(1) as pool:
        ...         r = Request("r-1", "ada", loop.time() + 5)
        ...         return (await handle_request(r, FakeBackend(), pool)).request_id
        >>> asyncio.run(demo())
        'r-1'
    """
    # TODO: step 2
    raise NotImplementedError(
        "Step 2: set REQUEST_ID and DEADLINE, fetch in a TaskGroup under timeout_at, render "
        "with to_thread, audit on audit_pool through a copy of the context, reset both."
    )


async def handle_all(
    requests: list[Request], backend: Backend, audit_pool: Executor
) -> list[Response]:
    """Handle every request concurrently; return the responses in request order.

    Args:
        requests: the requests to handle.
        backend: the services to call.
        audit_pool: the executor for the audits.

    Returns:
        One response per request, in the order of `requests`.

    Raises:
        ExceptionGroup: holding the error of each request that failed.

    Example:
        >>> async def demo() -> list[str]:
        ...     loop = asyncio.get_running_loop()
        ...     with ThreadPoolExecutor(2) as pool:
        ...         rs = [Request(f"r-{i}", "ada", loop.time() + 5) for i in range(3)]
        ...         return [r.request_id for r in await handle_all(rs, FakeBackend(), pool)]
        >>> asyncio.run(demo())
        ['r-0', 'r-1', 'r-2']
    """
    # TODO: step 3
    raise NotImplementedError("Step 3: handle every request concurrently, each in its own task.")


async def main() -> None:
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(logging.Formatter("%(request_id)-5s %(threadName)-24s %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    loop = asyncio.get_running_loop()
    requests = [Request(f"r-{i}", name, loop.time() + 2) for i, name in enumerate(["ada", "bo"])]
    with ThreadPoolExecutor(2, thread_name_prefix="audit") as pool:
        responses: list[Any] = await handle_all(requests, FakeBackend(), pool)
    for response in responses:
        print(response.request_id, response.page, response.audit)


if __name__ == "__main__":
    asyncio.run(main())
