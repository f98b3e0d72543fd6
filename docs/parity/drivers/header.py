"""Wrap the raw driver outputs with a _source header and write them as compact JSON fixtures."""
import json, sys
dest = sys.argv[1]  # e.g. tests/fixtures/parity of this repository
R, RC = "johnlyzhou/reciprocator", "0a9c30a0cd77995d9a348cb38342c939913d6c0d"
M, MC = "luchris429/model-free-opponent-shaping", "3efb169c39ece7acdaa3f742c5618b7bb11e93d6"
cmd_r = "cd /tmp/ref/reciprocator && PYTHONPATH=. /tmp/refenv/bin/python /tmp/ref/drivers/recip.py /tmp/ref/out  (driver text: docs/parity.md)"
cmd_m = "cd /tmp/ref/mfos && PYTHONPATH=src /tmp/refenv/bin/python /tmp/ref/drivers/mfos_ipd.py /tmp/ref/ipd_mfos_raw.json  (driver text: docs/parity.md)"
env = "python 3.11, torch 2.13.0+cpu (reference requirements pin torch 2.1.2; no pinned op differs here)"
jobs = [
    ("coins_env.json", "/tmp/ref/out/coins_env.json", R, RC, cmd_r, "src/environments/coin_game.py CoinGame(2 agents, 3x3): positions set directly, fixed actions; per step pre/post cells [agent0, agent1, coin0, coin1] (cell = 3*row + col), rewards (B, 2), counts[i][j] = agent j's coins taken by agent i summed over the batch, hot indices of each agent's (4,3,3) observation"),
    ("coins_voi.json", "/tmp/ref/out/coins_voi.json", R, RC, cmd_r, "src/agents/coins_voi.py CoinsVoI.forward with deterministic weights (field fill); voi['k->l'] flattened (T, B) row-major; rr: petty_payoff reciprocal reward of player i, (T, B) row-major"),
    ("ipd_rollout.json", "/tmp/ref/out/ipd_rollout.json", R, RC, cmd_r, "src/agents/matrix_games MatrixReciprocator/MatrixVOI fed fixed action episodes (both players Reciprocators, baseline refresh when episode_count % target_update_period == 0)"),
    ("ipd_mfos.json", "/tmp/ref/ipd_mfos_raw.json", M, MC, cmd_m, "src/environments.py ipd_batched values (v = -L (1 - 0.96)), NonMfosMetaGames matches (p1 is th_ba[1], the column player; 10 updates from fixed logits), MetaGames (MFOS vs NL) steps, the inner unroll of generate_mamaml, float64"),
]
for name, src, repo, commit, cmd, what in jobs:
    out = {"_source": {"reference": f"https://github.com/{repo}", "commit": commit, "command": cmd,
                       "environment": env, "contents": what}}
    out.update(json.load(open(src)))
    open(f"{dest}/{name}", "w").write(json.dumps(out, separators=(",", ":")))
