"""ASCII maps of the sequential social dilemma games Harvest and Cleanup.

Both maps are copied character for character from ``social_dilemmas/maps.py`` of
eugenevinitsky/sequential_social_dilemma_games (the repository's maps module, unchanged
across its history; the maps are layout data, not code).  Rows are printed top to bottom,
row 0 is the top; a cell is addressed ``(row, column)``.

Legend (the reference's):

* ``@`` wall; ``P`` agent spawn point; `` `` (space) empty floor;
* Harvest: ``A`` apple cell (holds an apple at reset, may regrow one later);
* Cleanup: ``B`` orchard/apple cell (empty at reset), ``H`` waste at reset (part of the
  river), ``R`` clean river at reset, ``S`` stream (never holds waste).

``HARVEST_MAP``: 16 rows x 38 columns (walls included), 155 apple cells, 20 spawn points.
``CLEANUP_MAP``: 25 rows x 18 columns (walls included), 103 orchard cells, 70 waste + 49
river cells (potential waste area 119, initial waste density 70/119 = 0.588), 12 stream
cells, 10 spawn points.
"""

from __future__ import annotations

HARVEST_MAP: tuple[str, ...] = (
    "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@",
    "@ P   P      A    P AAAAA    P  A P  @",
    "@  P     A P AA    P    AAA    A  A  @",
    "@     A AAA  AAA    A    A AA AAAA   @",
    "@ A  AAA A    A  A AAA  A  A   A A   @",
    "@AAA  A A    A  AAA A  AAA        A P@",
    "@ A A  AAA  AAA  A A    A AA   AA AA @",
    "@  A A  AAA    A A  AAA    AAA  A    @",
    "@   AAA  A      AAA  A    AAAA       @",
    "@ P  A       A  A AAA    A  A      P @",
    "@A  AAA  A  A  AAA A    AAAA     P   @",
    "@    A A   AAA  A A      A AA   A  P @",
    "@     AAA   A A  AAA      AA   AAA P @",
    "@ A    A     AAA  A  P          A    @",
    "@       P     A         P  P P     P @",
    "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@",
)

CLEANUP_MAP: tuple[str, ...] = (
    "@@@@@@@@@@@@@@@@@@",
    "@HHHHHH     BBBBB@",
    "@RRRRRR      BBBB@",
    "@HHHHHH     BBBBB@",
    "@RRRRR  P    BBBB@",
    "@HHHHH    P BBBBB@",
    "@RRRRR       BBBB@",
    "@HHHHH      BBBBB@",
    "@SSSSSSHHHHHHBBBB@",
    "@SSSSSSHHHHHHBBBB@",
    "@HHHHH   P P BBBB@",
    "@RRRRR   P  BBBBB@",
    "@HHHHHH    P BBBB@",
    "@RRRRRR P   BBBBB@",
    "@HHHHH       BBBB@",
    "@RRRR    P  BBBBB@",
    "@HHHHH       BBBB@",
    "@RRRRR  P P BBBBB@",
    "@HHHHH       BBBB@",
    "@RRRR       BBBBB@",
    "@HHHHH       BBBB@",
    "@RRRRR      BBBBB@",
    "@HHHHH       BBBB@",
    "@RRRR       BBBBB@",
    "@@@@@@@@@@@@@@@@@@",
)
