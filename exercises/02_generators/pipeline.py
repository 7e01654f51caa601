"""Count server errors per minute in an access log too big to hold in memory.

The pipeline has three stages, each a generator function that takes an iterable and
yields as it goes: lines -> requests -> server errors -> (minute, count). Because every
stage pulls one item at a time from the one before, the first count comes out after
reading one minute of log, and memory does not grow with the size of the log.

1. `parse_requests`: parse each line into a `Request`, skipping the lines that do not parse.
2. `server_errors`: keep only the requests that failed on the server side (status >= 500).
3. `count_per_minute`: count consecutive requests of the same minute; yield each minute's
   count as soon as the next minute starts, and the last one at the end.
4. `errors_per_minute`: chain the three stages, lines in, (minute, errors) out.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

PATHS = ("/", "/api/users", "/api/orders", "/api/payments", "/static/app.js", "/health")


@dataclass(frozen=True, slots=True)
class Request:
    """One line of the access log, parsed."""

    client: str
    timestamp: str  # "25/Nov/2026:10:00:07 +0000"
    method: str
    path: str
    status: int
    size: int

    @property
    def minute(self) -> str:
        """The minute of the request: `"25/Nov/2026:10:00"`."""
        return self.timestamp[:17]


def parse_request(line: str) -> Request | None:
    """Parse one access-log line (common log format).

    Args:
        line: `'203.0.113.9 - - [25/Nov/2026:10:00:07 +0000] "GET /api/users HTTP/1.1" 500 1234'`.

    Returns:
        The `Request`, or None when the line is blank, cut short or garbled.

    Example:
        >>> parse_request('203.0.113.9 - - [25/Nov/2026:10:00:07 +0000] "GET / HTTP/1.1" 200 5').path
        '/'
    """
    client, _, rest = line.partition(" - - [")
    timestamp, _, rest = rest.partition('] "')
    request, _, rest = rest.partition('" ')
    words = request.split(" ")
    fields = rest.split()
    if not client or len(timestamp) < 17 or len(words) != 3 or len(fields) != 2:
        return None
    method, path, _protocol = words
    status, size = fields
    if not status.isdigit() or not (size.isdigit() or size == "-"):
        return None
    return Request(client, timestamp, method, path, int(status), 0 if size == "-" else int(size))


def sample_lines(count: int) -> Iterator[str]:
    """A fake access log of `count` lines, one request per second, made on the fly.

    Example:
        >>> next(sample_lines(1))[:40]
        '203.0.113.0 - - [25/Nov/2026:10:00:00 +0'
    """
    for n in range(count):
        hour, minute, second = 10 + n // 3600 % 12, n // 60 % 60, n % 60
        status = 503 if n % 7 == 0 else 200
        yield (
            f"203.0.113.{n % 256} - - [25/Nov/2026:{hour:02d}:{minute:02d}:{second:02d} +0000] "
            f'"GET {PATHS[n % len(PATHS)]} HTTP/1.1" {status} {n % 5000}\n'
        )


def parse_requests(lines: Iterable[str]) -> Iterator[Request]:
    """Parse log lines into requests, lazily.

    Args:
        lines: any iterable of log lines (a file, a list, another generator).

    Returns:
        A generator of `Request`, one per line that parses, in input order; it reads a
        line only when asked for the next request.

    Example:
        >>> [r.status for r in parse_requests(sample_lines(3))]
        [503, 200, 200]
    """
    # TODO: a generator function: loop over the lines, yield each request that parses.
    raise NotImplementedError("parse_requests: yield a Request per line that parses (step 1)")


def server_errors(requests: Iterable[Request]) -> Iterator[Request]:
    """Keep the requests that failed on the server side (status 500 to 599), lazily.

    Args:
        requests: any iterable of requests.

    Returns:
        A generator of the requests with `status >= 500`, in input order.

    Example:
        >>> [r.status for r in server_errors(parse_requests(sample_lines(8)))]
        [503, 503]
    """
    # TODO: yield only the requests with a status of 500 or more, one at a time.
    raise NotImplementedError("server_errors: yield the requests that failed (step 2)")


def count_per_minute(requests: Iterable[Request]) -> Iterator[tuple[str, int]]:
    """Count consecutive requests of the same minute, yielding each count as it completes.

    Args:
        requests: requests in time order.

    Returns:
        A generator of `(minute, count)`: one pair per run of requests with the same
        `minute`, yielded as soon as the first request of the next minute arrives (the
        last one when the input ends). Minutes without requests are not reported.

    Example:
        >>> list(count_per_minute(parse_requests(sample_lines(130))))
        [('25/Nov/2026:10:00', 60), ('25/Nov/2026:10:01', 60), ('25/Nov/2026:10:02', 10)]
    """
    # TODO: yield (minute, count) each time the minute changes, and once more at the end.
    raise NotImplementedError("count_per_minute: yield each minute's count (step 3)")


def errors_per_minute(lines: Iterable[str]) -> Iterator[tuple[str, int]]:
    """The whole pipeline: server errors per minute of an access log.

    Args:
        lines: the log, in time order.

    Returns:
        A generator of `(minute, errors)` for every minute that has server errors.

    Example:
        >>> next(errors_per_minute(sample_lines(10_000_000)))
        ('25/Nov/2026:10:00', 9)
    """
    # TODO: chain the three stages without building a list anywhere.
    raise NotImplementedError("errors_per_minute: chain the three stages (step 4)")


def main() -> None:
    # Ten million lines: lazily, the first three minutes come out at once.
    for minute, errors in itertools.islice(errors_per_minute(sample_lines(10_000_000)), 3):
        print(f"{minute}  {errors} server errors")


if __name__ == "__main__":
    main()
