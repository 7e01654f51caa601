"""tools/python_docs.py reads the ids Sphinx gives a page from its reStructuredText source
(the data files of test_doc_links and test_api_coverage come from it). Each rule is checked
here on a small source; the rules themselves were checked against the Python 3.13 docs' HTML
build (`python tools/python_docs.py --compare-html`)."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

from katagrader.targets import REPO_ROOT


def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "python_docs", REPO_ROOT / "tools" / "python_docs.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("python_docs", module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


TOOL = _tool()

SOURCE = """\
.. currentmodule:: asyncio

.. _asyncio-queues:

======
Queues
======

3.2. Queue Objects
==================

.. class:: Queue(maxsize=0)

   A queue.

   .. method:: shutdown(immediate=False)

      Shut it down.

      .. versionadded:: 3.13

   .. attribute:: maxsize

.. function:: timeout(delay)

    Return a context manager.

    .. class:: Timeout(when)

        .. method:: reschedule(when)

    .. versionadded:: 3.11

.. function:: wait(aws)

   .. list-table::

      * - .. data:: FIRST_COMPLETED
        - Return when any finishes.

.. data:: asyncio.subprocess.PIPE
   :module:

.. function:: hidden()
   :no-index:

Queue Objects
=============

.. _asyncio_example_queue_dist:

.. glossary::

   asynchronous iterator
      An object.

   BDFL
      Benevolent Dictator For Life.
"""


def test_section_ids_are_docutils_slugs() -> None:
    """A title becomes lowercase with hyphens, leading digits dropped; a repeated title gets
    a numbered id, which is not listed."""
    anchors = TOOL.parse_page("library/x", SOURCE).anchors
    assert "queues" in anchors and "queue-objects" in anchors
    assert anchors.count("queue-objects") == 1


def test_explicit_targets_turn_underscores_into_hyphens() -> None:
    """`.. _asyncio_example_queue_dist:` is the anchor asyncio-example-queue-dist."""
    anchors = TOOL.parse_page("library/x", SOURCE).anchors
    assert "asyncio-queues" in anchors and "asyncio-example-queue-dist" in anchors
    assert "asyncio_example_queue_dist" not in anchors


def test_objects_have_their_full_dotted_names() -> None:
    """Members of a class carry its name, even nested in a function's body; an empty
    `:module:` drops the current module; `:no-index:` gives no anchor; a directive in a
    list-table cell counts."""
    anchors = TOOL.parse_page("library/x", SOURCE).anchors
    for anchor in (
        "asyncio.Queue",
        "asyncio.Queue.shutdown",
        "asyncio.Queue.maxsize",
        "asyncio.timeout",
        "asyncio.Timeout.reschedule",
        "asyncio.FIRST_COMPLETED",
        "asyncio.subprocess.PIPE",
    ):
        assert anchor in anchors, (anchor, anchors)
    assert "asyncio.asyncio.subprocess.PIPE" not in anchors
    assert not any("hidden" in a for a in anchors)


def test_glossary_terms_keep_their_case() -> None:
    """A term is `term-` plus the term with hyphens for spaces, its case kept."""
    anchors = TOOL.parse_page("glossary", SOURCE).anchors
    assert "term-asynchronous-iterator" in anchors and "term-BDFL" in anchors
    assert not any(a.startswith("term-An") for a in anchors)  # a definition is no term


def test_versionadded_belongs_to_its_own_entry() -> None:
    """On an API page each object records its own versionadded: the method's 3.13 is not
    the class's, and timeout's 3.11 comes after its nested Timeout class."""
    objects = TOOL.parse_page("library/asyncio-queue", SOURCE).objects
    added = {o.name: o.added for o in objects}
    assert added["asyncio.Queue"] == "" and added["asyncio.Queue.shutdown"] == "3.13"
    assert added["asyncio.timeout"] == "3.11" and added["asyncio.Timeout"] == ""
