"""A plain, per-agent port of the reference's movement-conflict loop (one game, Python lists).

eugenevinitsky/sequential_social_dilemma_games ``MapEnv.update_moves``, including its overlap
bug (the winner of a contested cell moves in even if the holder then fails to leave; see
docs/decisions.md S3).  Not used by the environments: it is the oracle of
tests/test_ssd_envs.py and the per-agent baseline of benchmarks/bench_ssd.py.
"""

from __future__ import annotations


def reference_update_moves(pos, target, order):
    """A port of the reference's ``MapEnv.update_moves`` conflict resolution for one game.

    ``pos``/``target``: lists of (row, col) (targets already wall-checked; non-movers target
    their own cell); ``order``: the shuffled agent order (the first of several contenders
    wins a cell).  Returns the final positions."""
    at = dict(enumerate(pos))
    moves = dict(enumerate(target))
    slots = [target[a] for a in order]
    cells = sorted({c for c in slots if slots.count(c) > 1})  # np.unique order
    for cell in cells:
        contenders = [order[k] for k, c in enumerate(slots) if c == cell]
        free = True
        for a in contenders:
            holder = next((h for h, p in at.items() if p == cell), None)
            if holder is None:
                continue
            if a == holder or at[holder] == moves.get(holder, at[holder]):
                free = False
            elif moves.get(holder) == at[a] and cell == at[holder]:
                free = False
        if free:
            at[contenders[0]] = cell
        for a in contenders:
            moves[a] = at[a]
    while moves:
        n_moves = len(moves)
        snapshot = dict(moves)
        done = set()
        for a, cell in snapshot.items():
            if a in done:
                continue
            holder = next((h for h, p in at.items() if p == cell), None)
            if holder is None:
                at[a] = cell
                del moves[a]
                done.add(a)
            elif a == holder or holder not in snapshot or at[holder] == moves.get(holder, at[holder]):
                del moves[a]
                done.add(a)
            elif moves.get(holder) == at[a] and cell == at[holder]:
                del moves[a], moves[holder]
                done |= {a, holder}
        if len(moves) == n_moves:
            at.update(moves)
            break
    return [at[a] for a in range(len(pos))]
