"""Tests of ``mixedmotive.analysis.metrics`` against hand-computed values.

Equality E = 1 - sum_i sum_j |r_i - r_j| / (2 N sum_i r_i).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from mixedmotive.analysis.metrics import equality, fmt_pm, mean_ci95, mean_sem, mean_std

# ------------------------------------------------------------------ equality


@pytest.mark.parametrize(
    "rewards, expected",
    [
        ([1.0, 1.0], 1.0),              # no gaps
        ([1.0, 0.0], 0.5),              # gaps 2, 1 - 2 / (2 * 2 * 1)
        ([0.0, 3.0], 0.5),              # gaps 6, 1 - 6 / (2 * 2 * 3)
        ([2.0, 1.0, 1.0], 5.0 / 6.0),   # gaps 4, 1 - 4 / (2 * 3 * 4)
        ([1.0, 0.0, 0.0], 1.0 / 3.0),   # gaps 4, 1 - 4 / (2 * 3 * 1)
        ([3.0, 1.0], 0.75),             # gaps 4, 1 - 4 / (2 * 2 * 4)
        ([5.0, 5.0, 5.0, 5.0], 1.0),
        ([1.0, 2.0, 3.0], 7.0 / 9.0),   # gaps 2 * (1 + 2 + 1) = 8, 1 - 8 / (2 * 3 * 6)
        ([2.0, -1.0], 1.0 - 6.0 / 4.0), # gaps 6, total 1: defined (sum > 0), may be negative
    ],
)
def test_equality_hand_examples(rewards, expected):
    e = equality(rewards)
    assert np.ndim(e) == 0
    assert float(e) == pytest.approx(expected, abs=1e-12)


def test_equality_invariant_to_scale_and_order():
    assert float(equality([2.0, 1.0, 1.0])) == pytest.approx(float(equality([1.0, 2.0, 1.0])))
    assert float(equality([20.0, 10.0, 10.0])) == pytest.approx(5.0 / 6.0)


@pytest.mark.parametrize("rewards", [[0.0, 0.0], [1.0, -1.0], [-1.0, -1.0], [-3.0, 1.0, 1.0]])
def test_equality_nan_when_sum_not_positive(rewards):
    assert math.isnan(float(equality(rewards)))


def test_equality_batched_shapes():
    r = np.array([
        [[1.0, 1.0], [1.0, 0.0], [3.0, 1.0]],
        [[0.0, 0.0], [0.0, 3.0], [-1.0, -2.0]],
    ])
    e = equality(r)
    assert e.shape == (2, 3)
    expected = np.array([[1.0, 0.5, 0.75], [np.nan, 0.5, np.nan]])
    np.testing.assert_allclose(e, expected, equal_nan=True)

    r3 = np.array([[2.0, 1.0, 1.0], [1.0, 0.0, 0.0]])
    np.testing.assert_allclose(equality(r3), [5.0 / 6.0, 1.0 / 3.0])
    # list input with leading dims
    assert equality([[[1.0, 0.0]]]).shape == (1, 1)


# ------------------------------------------------------------------ mean_ci95


def test_mean_ci95_small_sample_by_hand():
    v = [1.0, 2.0, 3.0]
    # mean 2; sample sd = sqrt(((1)^2 + 0 + 1^2) / 2) = 1; half = t_{0.975, 2} * 1 / sqrt(3)
    mean, half = mean_ci95(v)
    assert mean == pytest.approx(2.0)
    assert half == pytest.approx(stats.t.ppf(0.975, 2) / math.sqrt(3.0), rel=1e-12)
    assert half == pytest.approx(4.302652729911275 / math.sqrt(3.0), rel=1e-9)


def test_mean_ci95_four_values():
    v = [2.0, 4.0, 4.0, 6.0]
    # mean 4; deviations -2, 0, 0, 2 -> var = 8 / 3, sd = sqrt(8/3)
    mean, half = mean_ci95(v)
    assert mean == pytest.approx(4.0)
    assert half == pytest.approx(stats.t.ppf(0.975, 3) * math.sqrt(8.0 / 3.0) / 2.0, rel=1e-12)


def test_mean_ci95_single_value():
    mean, half = mean_ci95([3.5])
    assert mean == 3.5
    assert math.isnan(half)


def test_mean_ci95_empty_and_all_nan():
    for v in ([], [np.nan, np.nan]):
        mean, half = mean_ci95(v)
        assert math.isnan(mean) and math.isnan(half)


def test_mean_ci95_drops_nans():
    mean, half = mean_ci95([1.0, np.nan, 2.0, 3.0, np.nan])
    assert mean == pytest.approx(2.0)
    assert half == pytest.approx(stats.t.ppf(0.975, 2) / math.sqrt(3.0))
    mean, half = mean_ci95([np.nan, 7.0])
    assert mean == 7.0 and math.isnan(half)


def test_mean_ci95_constant_sample_has_zero_width():
    mean, half = mean_ci95([4.0, 4.0, 4.0])
    assert mean == 4.0 and half == 0.0


def test_mean_ci95_returns_floats():
    mean, half = mean_ci95(np.array([1, 2, 3]))
    assert type(mean) is float and type(half) is float


# ------------------------------------------------------------------ mean_std


def test_mean_std_by_hand():
    mean, sd = mean_std([2.0, 4.0, 4.0, 6.0, np.nan])
    assert mean == pytest.approx(4.0)
    assert sd == pytest.approx(math.sqrt(8.0 / 3.0))
    mean, sd = mean_std([5.0])
    assert mean == 5.0 and math.isnan(sd)


# ------------------------------------------------------------------ fmt_pm


@pytest.mark.parametrize(
    "mean, half, digits, expected",
    [
        (1.23456, 0.1, 3, "1.235 ± 0.100"),
        (0.5, 0.0123, 2, "0.50 ± 0.01"),
        (-2.0, 1.0, 1, "-2.0 ± 1.0"),
        (1.0, float("nan"), 3, "1.000"),
        (2.71828, float("nan"), 2, "2.72"),
    ],
)
def test_fmt_pm(mean, half, digits, expected):
    assert fmt_pm(mean, half, digits) == expected


def test_fmt_pm_default_digits():
    assert fmt_pm(0.5, 0.25) == "0.500 ± 0.250"


def test_fmt_pm_of_mean_ci95():
    assert fmt_pm(*mean_ci95([1.0, 2.0, 3.0]), digits=2) == "2.00 ± 2.48"


def test_mean_sem_by_hand():
    # values 1, 2, 3, NaN: mean 2, std (ddof 1) 1, SEM 1/sqrt(3)
    mean, sem = mean_sem([1.0, 2.0, 3.0, float("nan")])
    assert mean == pytest.approx(2.0) and sem == pytest.approx(1 / math.sqrt(3))
    assert math.isnan(mean_sem([5.0])[1])
