"""A done-callback written as `lambda f: on_done(image, f.result())` inside the loop.

The lambda looks `image` up when it runs, not when it is created; the renders finish after
the loop has ended, so every report names the last image.
"""

REJECTED_BY = {"test_each_report_names_its_own_image": "wrong_answer"}


def render_all(
    renderer: Renderer,
    images: list[str],
    workers: int,
    on_done: Callable[[str, str], None],
) -> dict[str, str]:
    futures = {}
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for image in images:
            future = pool.submit(renderer.render, image)
            future.add_done_callback(lambda f: on_done(image, f.result()))
            futures[image] = future
    return {image: future.result() for image, future in futures.items()}
