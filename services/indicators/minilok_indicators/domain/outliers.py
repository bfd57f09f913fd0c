"""Plausibility of a reported value against its area's own history: the modified z-score
M = 0.6745 (x - median) / MAD (Iglewicz and Hoaglin, 1993; DHIS2's outlier detection offers the
same), flagged when |M| > 3.5.

History: the same area's values of the same indicator in the last `HISTORY` periods before the one
reported. Fewer than `MIN_HISTORY` of them say too little about what is usual: no flag. MAD = 0
(at least half the history is one value, e.g. a posyandu reporting 100 % month after month): the
score is undefined, so a value equal to the median is never flagged and any other value is flagged
only when it also differs from the median by more than `MAD_ZERO_RELATIVE` of the median (or by
anything, when the median is 0), scored as infinite in direction; 100 % then 97 % is not an
outlier, 100 % then 40 % is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import median

HISTORY = 12
MIN_HISTORY = 6
THRESHOLD = 3.5
CONSISTENCY = 0.6745  # the normal distribution's 0.75 quantile: M matches z for normal data
MAD_ZERO_RELATIVE = 0.5


@dataclass(frozen=True)
class Outlier:
    value: float
    median: float
    score: float  # signed; +/-inf when MAD = 0


def _score(value: float, history: list[float]) -> tuple[float, float] | None:
    """(median, modified z-score) of `value` against `history`, each median worked out once;
    None when the score is undefined (too short a history, or MAD = 0 and value = median)."""
    if len(history) < MIN_HISTORY:
        return None
    centre = median(history)
    mad = median([abs(x - centre) for x in history])
    if mad == 0:
        if value == centre:
            return None
        return centre, math.copysign(math.inf, value - centre)
    return centre, CONSISTENCY * (value - centre) / mad


def modified_z(value: float, history: list[float]) -> float | None:
    """The modified z-score of `value` against `history`; None when it is undefined (too short a
    history, or MAD = 0 and value = median)."""
    scored = _score(value, history)
    return None if scored is None else scored[1]


def outlier(value: float, history: list[float]) -> Outlier | None:
    """The value as an outlier of its history, or None when it is plausible (or cannot be judged)."""
    scored = _score(value, history)
    if scored is None:
        return None
    centre, score = scored
    if math.isinf(score):
        if centre != 0 and abs(value - centre) <= MAD_ZERO_RELATIVE * abs(centre):
            return None
        return Outlier(value, centre, score)
    return Outlier(value, centre, score) if abs(score) > THRESHOLD else None
