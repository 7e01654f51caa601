"""Three data races in a small web shop's backend, and how to close them.

Shared state that several threads (or several coroutines) read, change and write back is a
race: two of them read the same old value and one update is lost. Each fix makes the
read-modify-write *one step* for everybody else.

1. `HitCounter.hit`: page hits are counted by many web-server threads at once, in a store
   that has only `read` and `write`. No hit may be lost: guard the read-modify-write with a
   `threading.Lock`.
2. `Shop.reserve`: concurrent orders check the stock, then (after an `await`) take it. The
   shop must never sell more than it has: guard check-then-act with an `asyncio.Lock`.
3. `render_all`: thumbnails are rendered on a thread pool and each finished one is reported
   from a done-callback. Each report must name its own image (beware of `lambda` in a loop).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Protocol

# ---------------------------------------------------------------------------------------
# 1. Hits counted by many threads


class StatsStore:
    """A key-value store for counters, with no atomic increment: `read`, then `write`.

    Each call is a round trip during which other threads run, as with a real store.
    """

    def __init__(self) -> None:
        self._values: dict[str, int] = {}

    def read(self, key: str) -> int:
        value = self._values.get(key, 0)
        time.sleep(0)  # the round trip: this thread lets the others run
        return value

    def write(self, key: str, value: int) -> None:
        time.sleep(0)
        self._values[key] = value


class HitCounter:
    """Counts page hits in a `StatsStore`; `hit` may be called from many threads at once."""

    def __init__(self, store: StatsStore) -> None:
        self._store = store
        # TODO: add what makes `hit` safe to call from many threads at once.

    def hit(self, page: str) -> int:
        """Count one hit of `page`: read its count, store count + 1.

        Args:
            page: the page that was viewed.

        Returns:
            The new count of `page`: every hit gets its own number, 1, 2, 3...

        Example:
            >>> counter = HitCounter(StatsStore())
            >>> counter.hit("/home"), counter.hit("/home"), counter.hit("/about")
            (1, 2, 1)
        """
        # TODO: read the page's count from the store, write count + 1, return it; no other
        #   thread may slip in between the read and the write.
        raise NotImplementedError("HitCounter.hit: count the hit without losing any (step 1)")


# ---------------------------------------------------------------------------------------
# 2. Stock reserved by concurrent orders


class StockService:
    """The warehouse's async API: read and set the stock of an item, nothing atomic."""

    def __init__(self, stock: dict[str, int]) -> None:
        self._stock = dict(stock)

    async def available(self, sku: str) -> int:
        await asyncio.sleep(0.01)  # a network round trip
        return self._stock.get(sku, 0)

    async def set_available(self, sku: str, quantity: int) -> None:
        await asyncio.sleep(0.01)
        self._stock[sku] = quantity


class Shop:
    """Takes orders for a shop whose stock lives in a `StockService`."""

    def __init__(self, stock: StockService) -> None:
        self._stock = stock
        # TODO: add what makes concurrent `reserve` calls safe.

    async def reserve(self, sku: str, quantity: int) -> bool:
        """Take `quantity` of `sku` from the stock, if there is enough.

        Args:
            sku: the item.
            quantity: how many to take (1 or more).

        Returns:
            True if they were taken, False (and the stock unchanged) if there are fewer.

        Example:
            >>> shop = Shop(StockService({"mug": 3}))
            >>> asyncio.run(shop.reserve("mug", 2)), asyncio.run(shop.reserve("mug", 2))
            (True, False)
        """
        # TODO: check the available stock and, if there is enough, set it to what is left;
        #   no other order may run between the check and the update.
        raise NotImplementedError("Shop.reserve: reserve without overselling (step 2)")


# ---------------------------------------------------------------------------------------
# 3. Thumbnails reported from done-callbacks


class Renderer(Protocol):
    """Renders an image's thumbnail (blocking) and returns the thumbnail's path."""

    def render(self, image: str) -> str: ...


class ThumbnailRenderer:
    """Renders thumbnails slowly, like an image library would."""

    def __init__(self, seconds: float = 0.1) -> None:
        self.seconds = seconds

    def render(self, image: str) -> str:
        time.sleep(self.seconds)
        return f"thumbs/{image.rsplit('.', 1)[0]}.png"


def render_all(
    renderer: Renderer,
    images: list[str],
    workers: int,
    on_done: Callable[[str, str], None],
) -> dict[str, str]:
    """Render every image on a pool of `workers` threads, reporting each as it finishes.

    Args:
        renderer: renders one image (blocking).
        images: the images to render.
        workers: how many threads render at once.
        on_done: called as `on_done(image, thumbnail)` as soon as that image is rendered
            (from the thread that rendered it).

    Returns:
        `{image: thumbnail}` for every image.

    Example:
        >>> render_all(ThumbnailRenderer(0), ["a.jpg"], 2, lambda i, t: print(i, t))
        a.jpg thumbs/a.png
        {'a.jpg': 'thumbs/a.png'}
    """

    # TODO: submit every render to a ThreadPoolExecutor(max_workers=workers) (shut it down
    #   afterwards), report each finished one with future.add_done_callback(...), and
    #   return {image: thumbnail}.
    raise NotImplementedError("render_all: render on a pool and report each image (step 3)")


def main() -> None:
    counter = HitCounter(StatsStore())
    threads = [
        threading.Thread(target=lambda: [counter.hit("/home") for _ in range(100)])
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print("hits:", counter.hit("/home") - 1, "(expected 400)")

    shop = Shop(StockService({"mug": 3}))

    async def orders() -> list[bool]:
        return list(await asyncio.gather(*(shop.reserve("mug", 1) for _ in range(5))))

    print("orders:", asyncio.run(orders()), "(expected 3 True)")
    render_all(ThumbnailRenderer(), ["cat.jpg", "dog.jpg"], 2, lambda i, t: print(i, "->", t))


if __name__ == "__main__":
    main()
