"""ASCII maps of the sequential social dilemma games Harvest and Cleanup.

The maps are copied character for character from ``social_dilemmas/maps.py`` of
eugenevinitsky/sequential_social_dilemma_games (layout data, not code).  ``HARVEST_MAP`` and
``CLEANUP_MAP`` are the reference's master (0207821).  ``CLEANUP_MAP_835DDB7`` is the Cleanup map
of commit 835ddb7 ("Fix harvest"), which is on no branch of the reference (it is in the
repository only through unmerged pull requests); this package used it by mistake until it was
compared with master (docs/decisions.md S1), and it stays available as the game
``cleanup_835ddb7`` of the ``aga_ssd`` experiment.  Rows are printed top to bottom, row 0 is the
top; a cell is addressed ``(row, column)``.

Legend (the reference's):

* ``@`` wall; ``P`` agent spawn point; `` `` (space) empty floor;
* Harvest: ``A`` apple cell (holds an apple at reset, may regrow one later);
* Cleanup: ``B`` orchard/apple cell (empty at reset), ``H`` waste at reset (part of the
  river), ``R`` clean river at reset, ``S`` stream (never holds waste).

``HARVEST_MAP``: 16 rows x 38 columns (walls included), 155 apple cells, 20 spawn points.
``CLEANUP_MAP``: 25 rows x 18 columns (walls included), 103 orchard cells, 56 waste + 63
river cells (potential waste area 119, initial waste density 56/119 = 0.471), 12 stream
cells (rows 8-9, columns 7-12), 10 spawn points.
``CLEANUP_MAP_835DDB7``: the same size, orchard and spawn points, 70 waste + 49 river cells
(density 70/119 = 0.588) and the stream in columns 1-6.
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
    "@RRRRRR     BBBBB@",
    "@HHHHHH      BBBB@",
    "@RRRRRR     BBBBB@",
    "@RRRRR  P    BBBB@",
    "@RRRRR    P BBBBB@",
    "@HHHHH       BBBB@",
    "@RRRRR      BBBBB@",
    "@HHHHHHSSSSSSBBBB@",
    "@HHHHHHSSSSSSBBBB@",
    "@RRRRR   P P BBBB@",
    "@HHHHH   P  BBBBB@",
    "@RRRRRR    P BBBB@",
    "@HHHHHH P   BBBBB@",
    "@RRRRR       BBBB@",
    "@HHHH    P  BBBBB@",
    "@RRRRR       BBBB@",
    "@HHHHH  P P BBBBB@",
    "@RRRRR       BBBB@",
    "@HHHH       BBBBB@",
    "@RRRRR       BBBB@",
    "@HHHHH      BBBBB@",
    "@RRRRR       BBBB@",
    "@HHHH       BBBBB@",
    "@@@@@@@@@@@@@@@@@@",
)

CLEANUP_MAP_835DDB7: tuple[str, ...] = (
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
