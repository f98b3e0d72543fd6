"""The structured job names: one parse / format pair per compound wildcard.

A training job is named by its experiment, a ``method`` string and a seed (``python -m mixedmotive train``, the
raw results' sidecars).  Where one ``method`` string carries several values, its form is defined here once:

===================== ============================== =====================================================
class                 form                           jobs
===================== ============================== =====================================================
:class:`SSDRun`       ``<game>:<variant>``           aga_ssd (Table 2 / Fig. 3)
:class:`AblationRun`  ``<game>:<variant>:x<mult>``   aga_ablation (a variant at ``mult`` x the updates)
:class:`DiagnosisRun` ``<pairing>:<cell>:x<mult>``   recip_coins_diagnosis (a cell at ``mult`` x episodes)
:class:`CoinsCell`    ``w<weight>-raw|norm``         the r_RR weight and normalisation of a diagnosis cell
:class:`StudyArm`     ``b<batch>[-lr<inner lr>]``    recip_ipd_mmaml_study / _eval (an M-MAML arm)
===================== ============================== =====================================================

``X.parse(text)`` returns the values (a named tuple) or raises ValueError naming the form; ``str(x)`` formats them
back: ``str(X.parse(t)) == t`` for every well-formed ``t`` (tests/test_wildcards.py).
"""

from __future__ import annotations

from typing import NamedTuple


def _multiplier(text: str) -> int:
    if not text.startswith("x") or not text[1:].isdigit():
        raise ValueError
    return int(text[1:])


class SSDRun(NamedTuple):
    game: str
    variant: str

    @classmethod
    def parse(cls, text: str) -> SSDRun:
        game, sep, variant = text.partition(":")
        if not sep:
            raise ValueError(f"method must be '<game>:<variant>', got {text!r}")
        return cls(game, variant)

    def __str__(self) -> str:
        return f"{self.game}:{self.variant}"


class AblationRun(NamedTuple):
    game: str
    variant: str
    multiplier: int

    @classmethod
    def parse(cls, text: str, games: tuple[str, ...] | None = None) -> AblationRun:
        """``'harvest:aga:x4'`` -> ``AblationRun('harvest', 'aga', 4)``; with ``games``, the game must be one."""
        parts = text.split(":")
        try:
            if len(parts) != 3 or (games is not None and parts[0] not in games):
                raise ValueError
            return cls(parts[0], parts[1], _multiplier(parts[2]))
        except ValueError:
            among = f" with game one of {', '.join(games)}" if games is not None else ""
            raise ValueError(f"method must be '<game>:<variant>:x<multiplier>'{among}, got {text!r}") from None

    def __str__(self) -> str:
        return f"{self.game}:{self.variant}:x{self.multiplier}"


class CoinsCell(NamedTuple):
    weight: float
    normalise: bool

    @classmethod
    def parse(cls, text: str) -> CoinsCell:
        """``'w0.3-norm'`` -> ``CoinsCell(0.3, True)``."""
        weight, _, norm = text.partition("-")
        try:
            if not weight.startswith("w") or norm not in ("raw", "norm"):
                raise ValueError
            return cls(float(weight[1:]), norm == "norm")
        except ValueError:
            raise ValueError(f"a Coins diagnosis cell is 'w<weight>-raw' or 'w<weight>-norm', got {text!r}") from None

    def __str__(self) -> str:
        return f"w{self.weight:g}-{'norm' if self.normalise else 'raw'}"


class DiagnosisRun(NamedTuple):
    pairing: str
    cell: str
    multiplier: int

    @classmethod
    def parse(cls, text: str) -> DiagnosisRun:
        """``'nl_vs_nl:w1-raw:x5'`` -> ``DiagnosisRun('nl_vs_nl', 'w1-raw', 5)`` (the cell checked too)."""
        parts = text.split(":")
        try:
            if len(parts) != 3:
                raise ValueError
            run = cls(parts[0], parts[1], _multiplier(parts[2]))
        except ValueError:
            raise ValueError(f"method must be '<pairing>:<cell>:x<multiplier>', got {text!r}") from None
        CoinsCell.parse(run.cell)
        return run

    def __str__(self) -> str:
        return f"{self.pairing}:{self.cell}:x{self.multiplier}"


class StudyArm(NamedTuple):
    batch: int
    inner_lr: str | float  # "learned" (meta-learned) or a fixed value

    @classmethod
    def parse(cls, text: str) -> StudyArm:
        """``b512`` -> (512, "learned"); ``b64-lr1`` -> (64, 1.0).  ValueError for anything else."""
        head, sep, lr = text.partition("-lr")
        try:
            batch, value = int(head[1:]), (float(lr) if sep else "learned")
        except ValueError:
            batch, value = 0, 0.0
        if not head.startswith("b") or not head[1:].isdigit() or batch <= 0 or (sep and not value > 0):
            raise ValueError(f"bad M-MAML study arm {text!r}: expected 'b<outer batch>' or 'b<outer batch>-lr<fixed "
                             "inner lr>'")
        return cls(batch, value)

    def __str__(self) -> str:
        return f"b{int(self.batch)}" + ("" if self.inner_lr == "learned" else f"-lr{float(self.inner_lr):g}")
