"""The method registry: every gradient method the package trains, in one place.

One :class:`Method` per method: the direction the gradient engine computes for it, whether its losses or rewards are
shaped first, whether it takes a λ, which settings only it reads, how figures draw it and its role in the claims.
Everything else derives from this table: the engine's dispatch (:mod:`mixedmotive.gradients.engine`), the MAPPO
learner (:mod:`mixedmotive.agents.mappo`), the settings a job reads (:mod:`mixedmotive.jobs`), the config schema's
method names (:func:`mixedmotive.config.load_schema`), the workflow's ``method`` wildcard, the plot styles
(:mod:`mixedmotive.plots.style`) and the baselines of the claims.  Adding a method is one entry here (and, for a new
kind of direction, its branch in the engine); docs/extending.md walks through it.

This module is the lowest layer of the package: it imports nothing from it.
"""

from __future__ import annotations

from dataclasses import dataclass

#: the directions the engine computes (gradients.engine.direction); a method is one of them, possibly after shaping
DIRECTIONS = ("individual", "collective", "consensus", "symplectic", "altruistic")
#: how a method may shape the players' losses (differentiable games) or rewards (MAPPO) before its direction
SHAPINGS = ("social_value_orientation", "self_interest_level")
ROLES = ("baseline", "headline")


@dataclass(frozen=True)
class Method:
    name: str  # the name in config files, wildcards and raw results
    label: str  # in figures and tables
    direction: str  # one of DIRECTIONS
    formula: str  # what the direction is, in the notation of the AgA paper (tables of the ablation)
    colour: str
    linestyle: str | tuple
    marker: str
    shaping: str | None = None  # one of SHAPINGS: losses / rewards shaped, then the direction
    lam: bool = False  # takes a λ magnitude; MAPPO variants '<name>_lam<λ>'
    lam_key: str | None = None  # the MAPPO setting that gives λ when the variant names none (else λ = 1)
    marl: bool = True  # available to the multi-agent PPO learner
    mappo_keys: tuple[str, ...] = ()  # MAPPO settings (config section ``mappo``) only this method reads
    game_keys: tuple[str, ...] = ()  # differentiable-game settings only this method reads
    role: str = "baseline"  # in the claims: compared against (baseline) or the paper's method (headline)
    table2: int | None = None  # position among AgA's Table 2 baselines (None: not in Table 2's baselines)

    @property
    def collective(self) -> bool:
        """Whether the direction needs the collective loss."""
        return self.direction in ("collective", "altruistic")


# Colours: the Okabe-Ito colour-blind-safe palette (Okabe & Ito 2008) without its yellow, which vanishes on white;
# every method also has its own marker and line style, so no figure relies on colour alone.  The order of this
# tuple is the order of legends.
_TABLE = (
    Method("simul_ind", "Simul-Ind", "individual", "ξ", "#0072B2", "-", "o", table2=0),
    Method("cga", "CGA", "consensus", "ξ + λH^Tξ", "#E69F00", "--", "s", lam=True, lam_key="cga_lam",
           mappo_keys=("cga_lam",), table2=3),
    Method("sga", "SGA", "symplectic", "ξ + λA^Tξ", "#56B4E9", (0, (1, 1.5)), "^", lam=True, marl=False,
           game_keys=("sga_align",)),
    Method("svo", "SVO", "individual", "ξ of SVO-shaped rewards", "#D55E00", "-.", "D",
           shaping="social_value_orientation", mappo_keys=("svo_angle_deg", "svo_weight"), game_keys=("svo",),
           table2=2),
    Method("simul_co", "Simul-Co", "collective", "ξ_c", "#009E73", "-", "v", mappo_keys=("collective",), table2=1),
    Method("sl", "SL", "individual", "ξ of self-interest-level rewards", "#CC79A7", "--", "P",
           shaping="self_interest_level", mappo_keys=("sl_self_interest",), game_keys=("sl",), table2=4),
    Method("aga", "AgA", "altruistic", "ξ_c + λ'(ξ + H_cξ_c)", "#000000", (0, (5, 2, 1, 2, 1, 2)), "X", lam=True,
           mappo_keys=("aga_sign", "aga_hamiltonian", "aga_normalise", "collective"), role="headline"),
)

METHODS: dict[str, Method] = {m.name: m for m in _TABLE}
NAMES = tuple(METHODS)
MARL = tuple(m.name for m in _TABLE if m.marl)
#: the paper's method (AgA), the collective-gradient baseline it builds on (Simul-Co) and the individual one
HEADLINE = next(m.name for m in _TABLE if m.role == "headline")
COLLECTIVE = next(m.name for m in _TABLE if m.direction == "collective" and m.shaping is None)
INDIVIDUAL = next(m.name for m in _TABLE if m.direction == "individual" and m.shaping is None)
#: AgA's Table 2 baselines in the paper's order
TABLE2_BASELINES = tuple(m.name for m in sorted((m for m in _TABLE if m.table2 is not None), key=lambda m: m.table2))


def get(name: str) -> Method:
    try:
        return METHODS[name]
    except KeyError:
        raise ValueError(f"unknown method {name!r}; expected one of {', '.join(NAMES)}") from None


def unshaped(name: str) -> str:
    """The method that computes ``name``'s direction on the losses it is given (``name`` itself unless it shapes)."""
    m = get(name)
    if m.shaping is None:
        return name
    return next(o.name for o in _TABLE if o.direction == m.direction and o.shaping is None)


def parse_variant(variant: str) -> tuple[str, float | None]:
    """A MAPPO variant: ``'aga_lam100'`` -> ``('aga', 100.0)``; plain method names -> ``(name, None)``."""
    method, _, lam = variant.partition("_lam")
    m = METHODS.get(method)
    try:
        if m is None or not m.marl or (lam and not m.lam):
            raise ValueError
        return method, (float(lam) if lam else None)
    except ValueError:
        raise ValueError(f"unknown method variant {variant!r}: expected one of {sorted(MARL)},"
                         f" with '_lam<value>' only after {' or '.join(n for n in MARL if METHODS[n].lam)}") from None


def owners(keys: str) -> dict[str, tuple[str, ...]]:
    """``{setting: methods that read it}`` over the methods' ``mappo_keys`` or ``game_keys`` (``keys``)."""
    out: dict[str, tuple[str, ...]] = {}
    for m in _TABLE:
        for key in getattr(m, keys):
            out[key] = (*out.get(key, ()), m.name)
    return out


def variant_pattern() -> str:
    """Regular expression of the MAPPO variants (config schema): a MARL method, ``_lam<λ>`` after one with a λ."""
    plain = "|".join(n for n in MARL if not METHODS[n].lam)
    lam = "|".join(n for n in MARL if METHODS[n].lam)
    return rf"^({plain}|(({lam})(_lam[0-9]+(\.[0-9]+)?)?))$"


def variant_forms() -> str:
    """The MAPPO variants in words (config errors)."""
    lam = [n for n in MARL if METHODS[n].lam]
    plain = sorted((n for n in MARL if not METHODS[n].lam),
                   key=lambda n: (METHODS[n].table2 is None, METHODS[n].table2))
    plain += lam
    return (f"{', '.join(plain)}, {' or '.join(f'{n}_lam<λ>' for n in lam)} "
            f"(λ a number, e.g. {HEADLINE}_lam100, {lam[0]}_lam0.5)")
