"""Matching a candidate with `in` (a substring of the profile's name) instead of `==`.

"parse" then also collects `_parse`, `parse_title`, `json.parse`...: a cheap function
takes the blame for the time of every function whose name happens to contain its own.
"""

REJECTED_BY = {"test_same_named_functions_add_up": "wrong_answer"}


def find_bottleneck(stats: pstats.Stats, candidates: Iterable[str]) -> str:
    names = list(candidates)
    if not names:
        raise ValueError("no candidates")
    cumulative = dict.fromkeys(names, 0.0)
    for (_file, _line, name), (_cc, _nc, _tt, ct, _callers) in stats.stats.items():
        for candidate in names:
            if candidate in name:
                cumulative[candidate] += ct
    return max(names, key=lambda name: cumulative[name])
