"""gradebook.html in a real browser: Debian's headless Chromium, driven by Selenium.

The gradebook is built from a made-up class (no grading needed): every status, and
learner text made to break HTML. The page must load offline with no request at all,
colour every cell by its status, and open a cell's reasons when the cell is clicked.
A screenshot is left in the test's folder (and at $GRADEBOOK_SCREENSHOT when set).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from katagrader.batch import ClassRun, Entry, Submission
from katagrader.gradebook import write_gradebook
from katagrader.manifest import load_manifest
from katagrader.runner import KataResult, Status

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None or DRIVER is None,
    reason="needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)",
)
NASTY = "<script>document.title='owned'</script> \ud800 \x1b[2J **bold** | <img src=http://x/y>"
STATUSES = [Status.PASSED, Status.FAILED, Status.NOT_STARTED, Status.CRASHED, Status.SUSPECT]
# The cell colours gradebook_html.py gives each status, as the browser reports them.
COLOURS = {
    Status.PASSED: "rgba(46, 158, 79, 1)",
    Status.FAILED: "rgba(224, 102, 102, 1)",
    Status.NOT_STARTED: "rgba(217, 217, 217, 1)",
    Status.CRASHED: "rgba(142, 68, 173, 1)",
    Status.SUSPECT: "rgba(241, 194, 50, 1)",
}


def _made_up_class() -> ClassRun:
    katas = load_manifest()[:5]
    students = [Submission(f"student{n}", Path(f"/nowhere/student{n}")) for n in range(4)]
    students.append(Submission("<b>mallory</b>", Path("/nowhere/mallory")))
    run = ClassRun(students, katas, "bubblewrap sandbox", duration=12.0)
    for row, student in enumerate(students):
        entries = []
        for col, kata in enumerate(katas):
            status = STATUSES[(row + col) % len(STATUSES)]
            tests = [
                {
                    "nodeid": f"graders/{kata.slug}/test_x.py::test_one",
                    "kata": kata.slug,
                    "test": "test_one",
                    "task": 1,
                    "phase": "call",
                    "outcome": "passed" if status is Status.PASSED else "failed",
                    "kind": "passed" if status is Status.PASSED else "wrong_answer",
                    "message": "" if status is Status.PASSED else f"wrong: {NASTY}. More text.",
                    "duration": 0.1,
                }
            ]
            result = KataResult(kata, status, f"summary of {student.name} on {kata.slug}", tests)
            evidence = [f"{kata.slug}/x.py, line 3: imports gc"] if status is Status.SUSPECT else []
            entries.append(Entry(student.name, result, 4, evidence))
        run.entries[student.name] = entries
    run.notes["student1"] = [f"{katas[0].slug}/a_fifo: left out, not a regular file (a FIFO)"]
    return run


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1280,900",
        f"--user-data-dir={tmp_path / 'profile'}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=str(DRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.mark.timeout(120)
def test_the_heatmap_works_offline_and_opens_each_cells_reasons(
    browser: Any, tmp_path: Path
) -> None:
    """Loaded from a file: no request leaves the page, learner HTML is shown as text, each
    cell has its status's colour, and clicking a cell shows that cell's reasons only."""
    from selenium.webdriver.common.by import By

    run = _made_up_class()
    out = tmp_path / "gradebook"
    write_gradebook(run, {s.name: s.path for s in run.submissions}, out)
    page = out / "gradebook.html"
    browser.get(page.as_uri())

    assert browser.title == "Gradebook"  # the learner's <script> did not run
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0
    assert browser.find_elements(By.TAG_NAME, "script") == []
    assert browser.find_elements(By.TAG_NAME, "img") == []
    rows = browser.find_elements(By.CSS_SELECTOR, "table.heat tbody tr")
    assert len(rows) == len(run.submissions)
    assert "<b>mallory</b>" in rows[-1].find_element(By.TAG_NAME, "th").text

    for row, student in enumerate(run.submissions):
        for col, entry in enumerate(run.entries[student.name]):
            cell = browser.find_element(By.CSS_SELECTOR, f'a[href="#c{row}-{col}"]')
            colour = cell.find_element(By.XPATH, "..").value_of_css_property("background-color")
            assert colour == COLOURS[entry.status], (student.name, col, entry.status)

    details = browser.find_elements(By.CSS_SELECTOR, "section.detail")
    assert details and not any(d.is_displayed() for d in details)
    suspect_at = next(
        (r, c)
        for r, s in enumerate(run.submissions)
        for c, e in enumerate(run.entries[s.name])
        if e.status is Status.SUSPECT
    )
    browser.find_element(By.CSS_SELECTOR, f'a[href="#c{suspect_at[0]}-{suspect_at[1]}"]').click()
    shown = [d for d in details if d.is_displayed()]
    assert len(shown) == 1
    assert "suspect" in shown[0].text and "imports gc" in shown[0].text
    assert "<script>" in shown[0].text  # shown as text, not run
    assert rows[0].is_displayed()  # the reasons open beside the heatmap, not instead of it
    screenshot = tmp_path / "gradebook.png"
    browser.save_screenshot(str(screenshot))
    assert screenshot.stat().st_size > 10_000
    if os.environ.get("GRADEBOOK_SCREENSHOT"):
        shutil.copy(screenshot, os.environ["GRADEBOOK_SCREENSHOT"])
