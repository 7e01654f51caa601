"""Keeping the best candidate with `>=`: on a tie the last candidate wins, not the first.

The README fixes the rule for ties (the first candidate); a running maximum compared with
`>=` (or `sorted(...)[-1]`) silently picks the last of equal ones.
"""

REJECTED_BY = {"test_a_tie_goes_to_the_first_candidate": "wrong_answer"}


def find_bottleneck(stats: pstats.Stats, candidates: Iterable[str]) -> str:
    names = list(candidates)
    if not names:
        raise ValueError("no candidates")
    cumulative = dict.fromkeys(names, 0.0)
    for (_file, _line, name), (_cc, _nc, _tt, ct, _callers) in stats.stats.items():
        if name in cumulative:
            cumulative[name] += ct
    best = names[0]
    for name in names:
        if cumulative[name] >= cumulative[best]:
            best = name
    return best
