"""Unit statistics and the start layout of SMAC's MMM2 scenario (used by ``mmm2.py``).

Every number below, with its source (``[SMAClite]`` = uoe-agents/smaclite,
``[SMAC]`` = oxwhirl/smac; files named in ``SOURCES``):

=============== ========= ========= ========= ======================================
stat            Marauder  Marine    Medivac   source
=============== ========= ========= ========= ======================================
hit points      125       45        150       [SMAClite] units/*.json ``hp``
armour          1         0         1         [SMAClite] ``armor``
damage / shot   10        6         0 (heals) [SMAClite] ``damage``
bonus vs armour +10       0         --        [SMAClite] marauder.json ``bonuses``
attributes      armoured  light     armoured  [SMAClite] ``attributes``
plane           ground    ground    air       [SMAClite] medivac.json ``plane``
hits            ground    ground+air --       [SMAClite] ``valid_targets``
cooldown (s)    1.07      0.61      --        [SMAClite] ``cooldown`` (LotV "faster" s)
range           6         5         4 (heal)  [SMAClite] ``attack_range``
speed (/s)      3.15      3.15      3.5       [SMAClite] ``speed`` (LotV "faster" s)
sight range     10        9         11        [SMAClite] ``sight_range``
radius          0.5625    0.375     0.75      [SMAClite] ``size`` / 2 (layout only)
energy          --        --        200, start 50  [SMAClite] medivac.json
=============== ========= ========= ========= ======================================

Medivac healing ([SMAClite] ``smaclite/env/units/unit.py``): ``HEAL_PER_SECOND = 9``,
``HEAL_PER_ENERGY = 3`` (1 energy per 3 HP), ``ENERGY_PER_SECOND = 0.5625`` (regeneration),
per *normal-speed* game second (``TICKS_PER_SECOND = 16``), i.e. 9/16 HP and 0.5625/16
energy per game frame.  The LotV cooldowns and speeds above are per "faster" second
(22.4 game frames; SMAClite cites Liquipedia's LotV table), so one frame is 1/22.4 s of
those: Marine cooldown 13.664 frames, Marauder 23.968, Marine/Marauder speed 0.140625
per frame (1.125 per 8-frame step), Medivac 0.15625 (1.25 per step).  Both conversions
give SC2's 16 frames per normal second = 22.4 per faster second.

SMAC interface numbers ([SMAC] ``smac/env/starcraft2/starcraft2.py``): ``move_amount=2``
(a move order targets a point 2 away; ``can_move`` checks the point ``move_amount / 2``
away), ``unit_shoot_range`` 6 and ``unit_sight_range`` 9 for every agent (action masks and
observations), ``unit_max_cooldown`` (state normaliser) Marine 15, Marauder 25, Medivac
200 (its energy); type one-hot MMM order Marauder 0, Marine 1, Medivac 2 (``get_unit_type_id``:
SC2 ids 51, 48, 54; allies sorted by unit type, then x, then y, in ``init_units``); MMM2
``n_agents 10, n_enemies 12, limit 180, unit_type_bits 3, map_type MMM`` in
``smac/env/starcraft2/maps/smac_maps.py``; ``step_mul`` 8 (the SMAC maps' default).

Layout ([SMAClite] ``smaclite/env/maps/smaclite_maps/mmm2.json`` and ``map.py``): a 32 x 32
map whose pathable band is y in [8, 24) (``terrain/smaclite_terrain/simple.slt``); ally group
centred at (9, 16), enemy group at (23, 16); enemies attack-move to ``attack_point`` (9, 16);
units are packed row by row into a ``ceil(sqrt(n))``-wide square in the JSON order Medivac,
Marines, Marauders, rows spaced by their largest radius plus ``GROUP_BUFFER = 0.05``, the
enemy layout point-mirrored (``SMACliteEnv.__place_group``).
"""

from __future__ import annotations

import math

SOURCES = {
    "SMAClite": "uoe-agents/smaclite: smaclite/env/units/smaclite_units/{marine,marauder,medivac}.json, "
                "smaclite/env/units/unit.py, smaclite/env/maps/smaclite_maps/mmm2.json, smaclite/env/maps/map.py, "
                "smaclite/env/smaclite.py, smaclite/env/terrain/smaclite_terrain/simple.slt",
    "SMAC": "oxwhirl/smac: smac/env/starcraft2/starcraft2.py, smac/env/starcraft2/maps/smac_maps.py",
}

#: SMAC's MMM type one-hot order
UNIT_TYPES = ("marauder", "marine", "medivac")
MARAUDER, MARINE, MEDIVAC = range(3)

#: game frames per LotV "faster" second (the unit of ``cooldown`` and ``speed``)
FRAMES_PER_SECOND = 22.4
#: game frames per normal-speed game second (the unit of SMAClite's heal/energy rates)
FRAMES_PER_GAME_SECOND = 16.0

STATS = {
    "marauder": dict(hp=125.0, armour=1.0, damage=10.0, bonus_armoured=10.0, cooldown=1.07, range=6.0,
                     speed=3.15, sight=10.0, radius=1.125 / 2, armoured=True, air=False, hits_air=False,
                     healer=False, energy=0.0, start_energy=0.0, smac_max_cooldown=25.0),
    "marine": dict(hp=45.0, armour=0.0, damage=6.0, bonus_armoured=0.0, cooldown=0.61, range=5.0,
                   speed=3.15, sight=9.0, radius=0.75 / 2, armoured=False, air=False, hits_air=True,
                   healer=False, energy=0.0, start_energy=0.0, smac_max_cooldown=15.0),
    "medivac": dict(hp=150.0, armour=1.0, damage=0.0, bonus_armoured=0.0, cooldown=0.0, range=4.0,
                    speed=3.5, sight=11.0, radius=1.5 / 2, armoured=True, air=True, hits_air=False,
                    healer=True, energy=200.0, start_energy=50.0, smac_max_cooldown=200.0),
}

HEAL_PER_GAME_SECOND = 9.0
HEAL_PER_ENERGY = 3.0
ENERGY_PER_GAME_SECOND = 0.5625
#: SC2's minimum damage of a hit after armour
MIN_DAMAGE = 0.5

MAP_SIZE = (32.0, 32.0)
#: pathable area (x_min, x_max, y_min, y_max)
PLAYABLE = (0.0, 32.0, 8.0, 24.0)
ALLY_CENTRE = (9.0, 16.0)
ENEMY_CENTRE = (23.0, 16.0)
ATTACK_POINT = (9.0, 16.0)
GROUP_BUFFER = 0.05
#: SMAClite's JSON order of each group
ALLY_GROUP = (("medivac", 1), ("marine", 7), ("marauder", 2))
ENEMY_GROUP = (("medivac", 1), ("marine", 8), ("marauder", 3))


def _place_group(group, centre, mirror: bool):
    """SMAClite's square packing; returns [(type, x, y)] in the JSON order."""
    types = [t for t, c in group for _ in range(c)]
    side = math.ceil(math.sqrt(len(types)))
    grid = [types[r * side:(r + 1) * side] for r in range(side)]
    radius = {t: STATS[t]["radius"] for t in STATS}
    row_radii = [max((radius[t] for t in row), default=0.0) for row in grid]
    height = 2 * sum(row_radii) + (side - 1) * GROUP_BUFFER
    width = max(sum(2 * radius[t] for t in row) for row in grid)
    m = -1.0 if mirror else 1.0
    x0, y = centre[0] - m * width / 2, centre[1] - m * height / 2
    prev_row, out = 0.0, []
    for i, row in enumerate(grid):
        x = x0
        y += m * (prev_row + row_radii[i])
        prev_row, prev_unit = row_radii[i], 0.0
        for t in row:
            x += m * (prev_unit + radius[t])
            prev_unit = radius[t]
            out.append((t, x, y))
            x += m * GROUP_BUFFER
        y += m * GROUP_BUFFER
    return out


def _smac_order(units):
    """SMAC's ally order: unit type id (Marauder, Marine, Medivac), then x, then y."""
    return sorted(units, key=lambda u: (UNIT_TYPES.index(u[0]), u[1], u[2]))


def scenario() -> dict:
    """The MMM2 line-up: unit types, counts and start positions (index = unit id).

    Keys: ``map_size`` (w, h); ``playable`` (x_min, x_max, y_min, y_max); ``attack_point``;
    ``unit_types``; ``allies`` / ``enemies``: dicts with ``types`` (names, SMAC order),
    ``type_ids`` (one-hot index), ``counts`` ({name: count}), ``positions`` ([(x, y)]),
    ``radius``; ``sources``.
    """
    out = {"map_size": MAP_SIZE, "playable": PLAYABLE, "attack_point": ATTACK_POINT,
           "unit_types": UNIT_TYPES, "sources": SOURCES}
    for name, group, centre, mirror in (("allies", ALLY_GROUP, ALLY_CENTRE, False),
                                        ("enemies", ENEMY_GROUP, ENEMY_CENTRE, True)):
        units = _smac_order(_place_group(group, centre, mirror))
        out[name] = {
            "types": [u[0] for u in units],
            "type_ids": [UNIT_TYPES.index(u[0]) for u in units],
            "counts": {t: c for t, c in group},
            "positions": [(u[1], u[2]) for u in units],
            "radius": [STATS[u[0]]["radius"] for u in units],
        }
    return out
