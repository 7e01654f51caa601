"""`pool.shutdown(wait=False)`: render_all returns while the pool's threads may still run
the last done-callbacks."""

REJECTED_BY = {"test_pool_is_shut_down_before_return": "wrong_answer"}


def render_all(
    renderer: Renderer,
    images: list[str],
    workers: int,
    on_done: Callable[[str, str], None],
) -> dict[str, str]:
    def report(image: str, future: Future[str]) -> None:
        on_done(image, future.result())

    pool = ThreadPoolExecutor(max_workers=workers)
    futures = {}
    for image in images:
        future = pool.submit(renderer.render, image)
        future.add_done_callback(functools.partial(report, image))
        futures[image] = future
    pool.shutdown(wait=False)
    return {image: future.result() for image, future in futures.items()}
