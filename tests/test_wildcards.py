"""Structured job names: parse and format are inverses, and malformed names are rejected with the form named."""

from __future__ import annotations

import pytest

from mixedmotive.wildcards import AblationRun, CoinsCell, DiagnosisRun, SSDRun, StudyArm

ROUND_TRIPS = [
    (SSDRun, "harvest:aga_lam100", ("harvest", "aga_lam100")),
    (AblationRun, "cleanup:aga_sign_off_no_hamiltonian:x8", ("cleanup", "aga_sign_off_no_hamiltonian", 8)),
    (DiagnosisRun, "reciprocator_vs_nl:w0.3-norm:x5", ("reciprocator_vs_nl", "w0.3-norm", 5)),
    (CoinsCell, "w0.3-norm", (0.3, True)),
    (CoinsCell, "w1-raw", (1.0, False)),
    (StudyArm, "b512", (512, "learned")),
    (StudyArm, "b64-lr0.5", (64, 0.5)),
]


@pytest.mark.parametrize("cls, text, values", ROUND_TRIPS)
def test_parse_then_format_is_the_identity(cls, text, values):
    parsed = cls.parse(text)
    assert tuple(parsed) == values
    assert str(parsed) == text and str(cls(*values)) == text


@pytest.mark.parametrize("cls, bad, form", [
    (SSDRun, "harvest", "<game>:<variant>"),
    (AblationRun, "harvest:aga", "<game>:<variant>:x<multiplier>"),
    (AblationRun, "harvest:aga:8", "<game>:<variant>:x<multiplier>"),
    (AblationRun, "harvest:aga:x8:y", "<game>:<variant>:x<multiplier>"),
    (DiagnosisRun, "nl_vs_nl:w1-raw:xx", "<pairing>:<cell>:x<multiplier>"),
    (DiagnosisRun, "nl_vs_nl:w1-rare:x1", "Coins diagnosis cell"),
    (CoinsCell, "0.3-raw", "Coins diagnosis cell"),
    (StudyArm, "b0", "M-MAML study arm"),
    (StudyArm, "b64-lrx", "M-MAML study arm"),
])
def test_malformed_names_are_rejected_naming_the_form(cls, bad, form):
    with pytest.raises(ValueError, match=form.replace("<", ".").replace(">", ".")):
        cls.parse(bad)


def test_an_ablation_game_can_be_required_to_be_known():
    assert AblationRun.parse("mmm2:aga:x1", games=("harvest", "mmm2")).game == "mmm2"
    with pytest.raises(ValueError, match="game one of harvest, cleanup"):
        AblationRun.parse("pong:aga:x1", games=("harvest", "cleanup"))
