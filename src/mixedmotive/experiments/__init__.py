"""Experiments: ``run(cfg, method, seed, device) -> DataFrame`` per experiment name."""

from . import aga_diffgame, aga_public_goods, aga_runtime

EXPERIMENTS = {
    "aga_diffgame": aga_diffgame.run,
    "aga_public_goods": aga_public_goods.run,
    "aga_runtime": aga_runtime.run,
}
