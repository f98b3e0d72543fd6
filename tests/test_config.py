"""Tests of ``mixedmotive.config``: loading, scale overrides, validation messages, devices."""

from __future__ import annotations

import copy

import pytest
import torch
import yaml

from mixedmotive import config
from mixedmotive.config import ConfigError

CONFIG_PATH = config.ROOT / "config" / "config.yaml"


@pytest.fixture(scope="module")
def raw() -> dict:
    with open(CONFIG_PATH) as fh:
        return yaml.safe_load(fh)


def _mutated(raw, mutate):
    c = copy.deepcopy(raw)
    mutate(c)
    return c


# ------------------------------------------------------------------ loading


@pytest.mark.parametrize("scale", ["smoke", "default", "paper"])
def test_load_each_scale(scale):
    cfg = config.load(scale=scale)
    assert cfg["scale"] == scale
    assert "scales" not in cfg
    for section in ("aga_diffgame", "aga_public_goods", "aga_runtime", "claims"):
        assert isinstance(cfg[section], dict)
    assert cfg["device"] in ("auto", "cpu", "cuda")


def test_load_without_scale_uses_file_scale(raw):
    assert config.load()["scale"] == raw["scale"]


def test_smoke_overrides_applied(raw):
    smoke, default = config.load(scale="smoke"), config.load(scale="default")
    ov = raw["scales"]["smoke"]
    assert smoke["aga_public_goods"]["runs"] == ov["aga_public_goods"]["runs"]
    assert default["aga_public_goods"]["runs"] == raw["aga_public_goods"]["runs"]
    assert smoke["aga_public_goods"]["runs"] != default["aga_public_goods"]["runs"]
    assert smoke["aga_public_goods"]["max_steps"] == ov["aga_public_goods"]["max_steps"]
    assert smoke["aga_diffgame"]["steps"] == ov["aga_diffgame"]["steps"]
    assert smoke["aga_runtime"]["repeats"] == ov["aga_runtime"]["repeats"]
    # deep merge: the nested override replaces n only, lo/hi stay from the base
    assert smoke["aga_diffgame"]["start_grid"] == {**raw["aga_diffgame"]["start_grid"],
                                                   "n": ov["aga_diffgame"]["start_grid"]["n"]}
    # keys not overridden keep their base value
    assert smoke["aga_public_goods"]["k"] == raw["aga_public_goods"]["k"]
    assert smoke["claims"] == raw["claims"]


def test_paper_overrides_applied(raw):
    paper = config.load(scale="paper")
    ov = raw["scales"]["paper"]
    assert paper["aga_diffgame"]["start_grid"]["n"] == ov["aga_diffgame"]["start_grid"]["n"]
    assert paper["aga_runtime"]["repeats"] == ov["aga_runtime"]["repeats"]


def test_resolve_does_not_mutate_input(raw):
    c = copy.deepcopy(raw)
    config.resolve(c, "smoke")
    assert c == raw


def test_resolve_scale_argument_beats_file_scale(raw):
    c = _mutated(raw, lambda c: c.__setitem__("scale", "smoke"))
    assert config.resolve(c)["scale"] == "smoke"
    assert config.resolve(c, "paper")["scale"] == "paper"


def test_resolve_without_scales_section(raw):
    c = _mutated(raw, lambda c: c.pop("scales"))
    assert config.resolve(c, "smoke")["aga_public_goods"]["runs"] == raw["aga_public_goods"]["runs"]


# ------------------------------------------------------------------ validation errors


@pytest.mark.parametrize(
    "mutate, scale, must_contain",
    [
        # unknown method
        (lambda c: c["aga_public_goods"].__setitem__("methods", ["aga", "magic"]), None,
         ["aga_public_goods.methods", "magic"]),
        (lambda c: c["aga_diffgame"].__setitem__("methods", ["bogus"]), None, ["aga_diffgame.methods", "bogus"]),
        # n_seeds -1
        (lambda c: c["aga_public_goods"].__setitem__("n_seeds", -1), None, ["aga_public_goods.n_seeds", "-1"]),
        (lambda c: c["aga_diffgame"].__setitem__("n_seeds", 0), None, ["aga_diffgame.n_seeds"]),
        # scale 'huge' in the file
        (lambda c: c.__setitem__("scale", "huge"), None, ["scale", "huge"]),
        # wrong types
        (lambda c: c["aga_diffgame"].__setitem__("lr", "fast"), None, ["aga_diffgame.lr", "type"]),
        (lambda c: c["aga_public_goods"].__setitem__("runs", 2.5), None, ["aga_public_goods.runs", "type"]),
        (lambda c: c["aga_public_goods"].__setitem__("sga_align", "yes"), None, ["aga_public_goods.sga_align"]),
        (lambda c: c["aga_runtime"].__setitem__("methods", "aga"), None, ["aga_runtime.methods"]),
        (lambda c: c["aga_runtime"].__setitem__("clock", "sundial"), None, ["aga_runtime.clock", "sundial"]),
        (lambda c: c["aga_runtime"].__setitem__("repeats", 0), None, ["aga_runtime.repeats"]),
        # unknown keys
        (lambda c: c["aga_diffgame"].__setitem__("stepz", 3), None, ["aga_diffgame.stepz", "unknown key"]),
        (lambda c: c.__setitem__("aga_publicgoods", {}), None, ["aga_publicgoods", "unknown key"]),
        (lambda c: c["claims"].__setitem__("near_tolerance", 0.1), None, ["claims.near_tolerance"]),
        # out of range
        (lambda c: c["aga_public_goods"].__setitem__("k", 2.0), None, ["aga_public_goods.k"]),
        (lambda c: c["aga_public_goods"].__setitem__("lr", 0), None, ["aga_public_goods.lr"]),
        (lambda c: c.__setitem__("device", "tpu"), None, ["device", "tpu"]),
        # missing section
        (lambda c: c.pop("claims"), None, ["claims"]),
        # invalid overrides inside scales.smoke: the message names the scale and the key
        (lambda c: c["scales"]["smoke"]["aga_public_goods"].__setitem__("runs", 0), "smoke",
         ["smoke", "aga_public_goods.runs"]),
        (lambda c: c["scales"]["smoke"]["aga_diffgame"].__setitem__("methods", ["nope"]), "smoke",
         ["smoke", "aga_diffgame.methods"]),
        (lambda c: c["scales"]["smoke"]["aga_public_goods"].__setitem__("runz", 3), "smoke",
         ["smoke", "aga_public_goods.runz"]),
        (lambda c: c["scales"]["paper"]["aga_runtime"].__setitem__("repeats", -2), "paper",
         ["paper", "aga_runtime.repeats"]),
        (lambda c: c["scales"]["smoke"]["aga_runtime"].__setitem__("clock", "wallclock"), "smoke",
         ["smoke", "aga_runtime.clock", "wallclock"]),
        # an unknown scale name inside scales
        (lambda c: c["scales"].__setitem__("huge", {}), None, ["scales.huge"]),
        # Coins: pairings, nested PPO/MFOS sections (the MFOS section extends the PPO keys)
        (lambda c: c["recip_coins"].__setitem__("pairings", ["nl_vs_lola"]), None,
         ["recip_coins.pairings", "nl_vs_lola"]),
        (lambda c: c["recip_coins"]["ppo"].__setitem__("inner_episodes", 4), None,
         ["recip_coins.ppo.inner_episodes", "unknown key"]),
        (lambda c: c["recip_coins"]["mfos"].__setitem__("latentt", 4), None,
         ["recip_coins.mfos.latentt", "unknown key"]),
        (lambda c: c["recip_coins"]["mfos"].__setitem__("lr", 0), None, ["recip_coins.mfos.lr"]),
        (lambda c: c["recip_coins"]["reciprocator"].__setitem__("rr_normalise", "yes"), None,
         ["recip_coins.reciprocator.rr_normalise", "type"]),
        (lambda c: c["scales"]["paper"]["recip_coins"].__setitem__("obs_order", "allocentric"), "paper",
         ["paper", "recip_coins.obs_order"]),
        # AgA's readings and the ablation
        (lambda c: c["aga_ssd"]["mappo"].__setitem__("aga_sign", "local"), None, ["aga_ssd.mappo.aga_sign", "local"]),
        (lambda c: c["aga_ssd"]["mappo"].__setitem__("optimiser", "rmsprop"), None,
         ["aga_ssd.mappo.optimiser", "rmsprop"]),
        (lambda c: c["aga_ablation"]["variants"]["aga"].__setitem__("aga_normalise", "layer"), None,
         ["aga_ablation.variants.aga.aga_normalise", "layer"]),
        (lambda c: c["aga_ablation"]["variants"]["aga"].__setitem__("lr", 1.0), None,
         ["aga_ablation.variants.aga.lr", "unknown key"]),
        (lambda c: c["aga_ablation"]["variants"]["aga"].__setitem__("method", "sga"), None,
         ["aga_ablation.variants.aga.method", "sga"]),
        (lambda c: c["aga_ablation"]["budget"].__setitem__("multiplier", -8), None,
         ["aga_ablation.budget.multiplier", "≥ 0"]),
        (lambda c: c["aga_ablation"]["budget"].__setitem__("games", ["mmm2"]), None,
         ["aga_ablation.budget.games.0", "mmm2"]),
        (lambda c: c["aga_ablation"]["games"].__setitem__("harvest", ["aga", "aga_typo"]), None,
         ["aga_ablation.games.harvest", "aga_typo", "not a variant defined"]),
        (lambda c: c["aga_ablation"]["trend"].__setitem__("variants", ["simul_co", "agaa"]), None,
         ["aga_ablation.trend.variants", "agaa"]),
        (lambda c: c["aga_ablation"]["budget"].__setitem__("variants", ["simul_co", "agaa"]), None,
         ["aga_ablation.budget.variants", "agaa", "not a variant defined"]),
        (lambda c: c["aga_ablation"]["trend"].__setitem__("multipliers", [1]), None,
         ["aga_ablation.trend.multipliers"]),
        (lambda c: c["scales"]["smoke"]["aga_ablation"]["games"].__setitem__("mmm2", ["nope"]), "smoke",
         ["smoke", "aga_ablation.games.mmm2", "nope"]),
        # the Coins diagnosis
        (lambda c: c["recip_coins_diagnosis"].__setitem__("rr_normalise", ["no"]), None,
         ["recip_coins_diagnosis.rr_normalise.0", "boolean"]),
        (lambda c: c["recip_coins_diagnosis"].__setitem__("pairings", ["nl_vs_nl"]), None,
         ["recip_coins_diagnosis.pairings.0", "nl_vs_nl"]),
        (lambda c: c["recip_coins_diagnosis"]["trend"].__setitem__("multipliers", [1]), None,
         ["recip_coins_diagnosis.trend.multipliers"]),
        (lambda c: c["recip_coins_diagnosis"]["confirm"].__setitem__("cell", "0.3-raw"), None,
         ["recip_coins_diagnosis.confirm.cell", "0.3-raw"]),
        (lambda c: c["recip_coins_diagnosis"]["confirm"].__setitem__("n_seeds", 1), None,
         ["recip_coins_diagnosis.confirm.n_seeds"]),
    ],
)
def test_resolve_error_names_key(raw, mutate, scale, must_contain):
    with pytest.raises(ConfigError) as err:
        config.resolve(_mutated(raw, mutate), scale)
    msg = str(err.value)
    for part in must_contain:
        assert part in msg, f"{part!r} not in {msg!r}"


def test_resolve_scale_argument_huge(raw):
    with pytest.raises(ConfigError, match=r"'scale'.*huge"):
        config.resolve(copy.deepcopy(raw), "huge")
    with pytest.raises(ConfigError, match="scale"):
        config.load(scale="huge")


def test_config_error_is_value_error():
    assert issubclass(ConfigError, ValueError)


def test_smoke_override_error_only_when_top_level_valid(raw):
    # the base config itself valid, only the override bad: resolving at smoke fails
    bad = _mutated(raw, lambda c: c["scales"]["smoke"]["aga_public_goods"].__setitem__("runs", 0))
    with pytest.raises(ConfigError, match="scale 'smoke'"):
        config.resolve(bad, "smoke")


def test_load_from_path(tmp_path, raw):
    p = tmp_path / "c.yaml"
    p.write_text(yaml.safe_dump(_mutated(raw, lambda c: c["aga_public_goods"].__setitem__("runs", 3))))
    assert config.load(p, scale="default")["aga_public_goods"]["runs"] == 3
    p.write_text(yaml.safe_dump(_mutated(raw, lambda c: c["aga_public_goods"].__setitem__("runs", -3))))
    with pytest.raises(ConfigError, match="aga_public_goods.runs"):
        config.load(p)


# ------------------------------------------------------------------ devices


def test_resolve_device_cpu():
    assert config.resolve_device("cpu") == "cpu"


def test_resolve_device_cuda_without_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ConfigError, match="device"):
        config.resolve_device("cuda")
    assert config.resolve_device("auto") == "cpu"
    assert config.resolve_device() == "cpu"


def test_resolve_device_with_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert config.resolve_device("cuda") == "cuda"
    assert config.resolve_device("auto") == "cuda"
    assert config.resolve_device("cpu") == "cpu"


# ------------------------------------------------------------------ multi-agent PPO sections


def _drop(c: dict, section: str, block: str, key: str) -> None:
    c[section][block] = {k: v for k, v in c[section][block].items() if k != key}  # (mappo is a shared anchor)


@pytest.mark.parametrize("section, block, key", [("aga_mmm2", "mappo", "lr"), ("aga_ssd", "mappo", "cross_terms"),
                                                 ("aga_ssd", "network", "critic_channels"),
                                                 ("aga_mmm2", "network", "actor_hidden")])
def test_marl_settings_are_required(raw, section, block, key):
    """Every multi-agent PPO setting comes from the config: a missing one is an error, not a code default."""
    with pytest.raises(ConfigError, match=rf"'{section}\.{block}': '{key}' is a required property"):
        config.resolve(_mutated(raw, lambda c: _drop(c, section, block, key)))


@pytest.mark.parametrize("variant, ok", [("aga_lam0.1", True), ("aga_lam1000", True), ("cga_lam2", True),
                                         ("aga_lamx", False), ("sga", False), ("aga-lam1", False),
                                         ("simul_ind_lam2", False)])
def test_marl_variant_names(raw, variant, ok):
    c = _mutated(raw, lambda c: c["aga_ssd"].update(variants=[variant]))
    if ok:
        config.resolve(c)
    else:
        with pytest.raises(ConfigError, match=r"aga_ssd\.variants"):
            config.resolve(c)


@pytest.mark.parametrize("where, mutate", [
    ("aga_ssd.variants.0", lambda c: c["aga_ssd"].update(variants=["aga_lamX"])),
    ("claims.marl_headline", lambda c: c["claims"].update(marl_headline="aga_lamX")),
])
def test_variant_typo_is_one_sentence_naming_key_value_and_allowed_forms(raw, where, mutate):
    with pytest.raises(ConfigError) as err:
        config.resolve(_mutated(raw, mutate))
    msg = str(err.value)
    assert msg == (f"invalid config: key '{where}': 'aga_lamX' is not one of simul_ind, simul_co, svo, sl, cga, "
                   "aga, cga_lam<λ> or aga_lam<λ> (λ a number, e.g. aga_lam100, cga_lam0.5)")
    assert "^(" not in msg and "\n" not in msg  # no raw regex, one line


# ------------------------------------------------------------------ values from the command line
# `snakemake --config 'aga_public_goods={n_seeds: 2}'` hands every nested scalar over as a string


def _from_command_line(raw, section: str, **values) -> dict:
    return _mutated(raw, lambda c: c[section].update(values))


def test_command_line_strings_become_the_schemas_types(raw):
    cfg = config.resolve(_from_command_line(raw, "aga_public_goods", n_seeds="2", lr="0.5", sga_align="true",
                                            init_range=["0.1", "0.2"], tol="1e-3", sl={"self_interest": "0.3"}))
    pg = cfg["aga_public_goods"]
    assert (pg["n_seeds"], pg["lr"], pg["sga_align"], pg["init_range"], pg["tol"]) == (2, 0.5, True, [0.1, 0.2], 1e-3)
    assert pg["sl"]["self_interest"] == 0.3 and isinstance(pg["n_seeds"], int)
    # a null where the schema takes null or a pattern-matched string; a number where it takes 'learned' or a number
    confirm = config.resolve(_mutated(raw, lambda c: c["recip_coins_diagnosis"]["confirm"].update(cell="null")))
    assert confirm["recip_coins_diagnosis"]["confirm"]["cell"] is None
    # overrides of a scale follow the top-level schema
    smoke = config.resolve(_mutated(raw, lambda c: c["scales"]["smoke"]["aga_public_goods"].update(n_seeds="3")),
                           "smoke")
    assert smoke["aga_public_goods"]["n_seeds"] == 3


def test_strings_the_schema_accepts_stay_strings(raw):
    assert config.coerce_strings(raw) == raw
    cfg = config.coerce_strings(_mutated(raw, lambda c: c["aga_ssd"]["mappo"].update(aga_sign="off")))
    assert cfg["aga_ssd"]["mappo"]["aga_sign"] == "off"  # an enum value, not YAML 1.1's False


@pytest.mark.parametrize("value, message", [
    ("-1", "'aga_public_goods.n_seeds': -1 must be ≥ 1"),
    ("0", "'aga_public_goods.n_seeds': 0 must be ≥ 1"),
    ("1.5", "'aga_public_goods.n_seeds': 1.5 has the wrong type (expected integer)"),
    ("two", "'aga_public_goods.n_seeds': 'two' has the wrong type (expected integer)"),
])
def test_command_line_values_get_the_files_messages(raw, value, message):
    with pytest.raises(ConfigError) as err:
        config.resolve(_from_command_line(raw, "aga_public_goods", n_seeds=value))
    assert str(err.value) == f"invalid config: key {message}"


def test_yes_is_not_a_boolean(raw):
    with pytest.raises(ConfigError, match="sga_align"):
        config.resolve(_from_command_line(raw, "aga_public_goods", sga_align="yes"))
