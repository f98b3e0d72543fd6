"""Coins diagnosis (docs/decisions.md C10): does any r_RR weight or normalisation, or a
longer run, make the Coins claims appear?

``method`` is ``<pairing>:<cell>:x<multiplier>``, e.g. ``reciprocator_vs_nl:w0.3-norm:x1``: one
pairing of :mod:`mixedmotive.experiments.recip_coins` with the Reciprocator's ``rr_weight`` and
``rr_normalise`` set by the cell (:class:`mixedmotive.wildcards.CoinsCell`) and ``multiplier`` times
recip_coins' episodes.  The job's settings (:func:`mixedmotive.jobs.job_settings`) are recip_coins'
section with those three values changed; the loop is recip_coins' own, so the rows are its rows
plus ``cell``, ``rr_weight``, ``rr_normalise`` and ``budget``.  Nothing in the loop depends on the
number of episodes, so a run's first k x episodes are the k x run (tested).
"""

from __future__ import annotations

from ..wildcards import CoinsCell, DiagnosisRun
from . import recip_coins


def parse(method: str) -> DiagnosisRun:
    """``'nl_vs_nl:w1-raw:x5'`` -> ``('nl_vs_nl', 'w1-raw', 5)`` (the pairing checked too)."""
    run = DiagnosisRun.parse(method)
    recip_coins.parse_pairing(run.pairing)
    return run


def run(cfg: dict, method: str, seed: int = 0, device: str = "cpu"):
    pairing, cell, multiplier = parse(method)
    frame = recip_coins.run(cfg, pairing, seed, device)
    weight, normalise = CoinsCell.parse(cell)
    frame["cell"] = cell
    frame["rr_weight"] = weight
    frame["rr_normalise"] = normalise
    frame["budget"] = multiplier
    return frame
