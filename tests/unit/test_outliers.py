"""The modified z-score of a value against its area's own history (Iglewicz and Hoaglin)."""

import math

import pytest
from minilok_indicators.domain.outliers import modified_z, outlier

HISTORY = [80.0, 82.0, 78.0, 81.0, 79.0, 80.0, 83.0, 77.0, 80.0, 81.0, 79.0, 80.0]


def test_score_is_0_6745_times_distance_over_mad():
    # median 80, absolute deviations median 1 → M = 0.6745 × (90 − 80) / 1
    assert modified_z(90.0, HISTORY) == pytest.approx(6.745)
    assert modified_z(80.0, HISTORY) == 0


def test_flagged_only_beyond_3_5():
    assert outlier(85.0, HISTORY) is None  # M = 3.37
    hit = outlier(86.0, HISTORY)  # M = 4.05
    assert hit is not None and hit.median == 80.0 and hit.score == pytest.approx(4.047)
    low = outlier(10.0, HISTORY)
    assert low is not None and low.score < -3.5


def test_short_history_is_never_flagged():
    assert outlier(1000.0, HISTORY[:5]) is None
    assert modified_z(1000.0, HISTORY[:5]) is None
    assert outlier(1000.0, HISTORY[:6]) is not None  # six points are enough


def test_mad_zero_flags_only_a_large_departure():
    flat = [100.0] * 8
    assert modified_z(100.0, flat) is None and outlier(100.0, flat) is None
    assert outlier(97.0, flat) is None  # within half the median: a posyandu at 100 % slipping a little
    hit = outlier(40.0, flat)
    assert hit is not None and hit.score == -math.inf
    zeros = [0.0] * 8  # no cases month after month: any case is news
    assert outlier(3.0, zeros).score == math.inf
