"""The kata grading engine: what a grader file imports.

    from katagrader import InFlight, learner_module, within

`learner_module` loads the learner's code from the tree being graded; `within` awaits it
with a deadline; `InFlight` counts how much of it ran at once. The pytest plugin
(`katagrader.plugin`) adds the leak checks and the readable verdicts by itself.
"""

from __future__ import annotations

from .calls import leaves, outcome
from .concurrency import InFlight, ThreadInFlight
from .deadlines import within
from .errors import DeadlineExceeded, KataProblem, Kind, LeakDetected, NotStarted
from .targets import learner_module

__all__ = [
    "DeadlineExceeded",
    "InFlight",
    "KataProblem",
    "Kind",
    "LeakDetected",
    "NotStarted",
    "ThreadInFlight",
    "learner_module",
    "leaves",
    "outcome",
    "within",
]
