"""Reporting every image after all the renders, from the caller's loop.

The reports name the right images, but none is made as its image finishes: a slow render
holds back the report of every image before it.
"""

REJECTED_BY = {"test_each_report_comes_from_a_done_callback": "wrong_answer"}


def render_all(
    renderer: Renderer,
    images: list[str],
    workers: int,
    on_done: Callable[[str, str], None],
) -> dict[str, str]:
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {image: pool.submit(renderer.render, image) for image in images}
    for image, future in futures.items():
        on_done(image, future.result())
    return {image: future.result() for image, future in futures.items()}
