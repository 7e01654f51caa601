"""Ranking the functions by their own time (tottime) instead of cumulative time.

Own time leaves out everything a function calls: a crawler that is slow because of what
it calls (time.sleep, the network) looks cheap.
"""

REJECTED_BY = {"test_bottleneck_is_largest_cumulative_time": "wrong_answer"}


def find_bottleneck(stats: pstats.Stats, candidates: Iterable[str]) -> str:
    names = list(candidates)
    if not names:
        raise ValueError("no candidates")
    own = dict.fromkeys(names, 0.0)
    for (_file, _line, name), (_cc, _nc, tt, _ct, _callers) in stats.stats.items():
        if name in own:
            own[name] += tt
    return max(names, key=lambda name: own[name])
