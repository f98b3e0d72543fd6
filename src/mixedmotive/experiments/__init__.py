"""Experiments: ``run(cfg, method, seed, device) -> DataFrame`` per experiment name."""

from . import (aga_ablation, aga_diffgame, aga_mmm2, aga_ssd, aga_public_goods, aga_runtime, recip_coins, recip_coins_diagnosis,
               recip_ipd_analytic, recip_ipd_meta, recip_ipd_mmaml_eval, recip_ipd_mmaml_study, recip_ipd_rollout)

EXPERIMENTS = {
    "aga_diffgame": aga_diffgame.run,
    "aga_public_goods": aga_public_goods.run,
    "aga_runtime": aga_runtime.run,
    "aga_ssd": aga_ssd.run,
    "aga_mmm2": aga_mmm2.run,
    "aga_ablation": aga_ablation.run,
    "recip_ipd_meta": recip_ipd_meta.run,
    "recip_ipd_analytic": recip_ipd_analytic.run,
    "recip_ipd_rollout": recip_ipd_rollout.run,
    "recip_ipd_mmaml_study": recip_ipd_mmaml_study.run,
    "recip_ipd_mmaml_eval": recip_ipd_mmaml_eval.run,
    "recip_coins": recip_coins.run,
    "recip_coins_diagnosis": recip_coins_diagnosis.run,
}
