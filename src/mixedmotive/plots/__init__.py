"""One function per figure/table: ``plot(inputs, out, cfg)``; raw results in, file out.

:data:`PLOTS` names each function by ``module.function``; :func:`get` imports only that module, so a
plot job does not pay for the imports of every other plot (torch, the environments, the trainers)."""

from collections.abc import Callable
from importlib import import_module

PLOTS: dict[str, str] = {
    "aga_fig1_trajectories": "aga_fig1.plot",
    "aga_table1_public_goods": "aga_public_goods.table1",
    "aga_fig4_public_goods_scatter": "aga_public_goods.fig4",
    "aga_table3_runtime": "aga_public_goods.table3",
    "aga_fig5_mmm2_units": "aga_mmm2.fig5",
    "aga_fig3_ssd_curves": "aga_marl.fig3",
    "aga_table2_ssd_equality": "aga_marl.table2",
    "aga_fig6_selfish_mmm2": "aga_marl.fig6",
    "aga_hyperparameters": "aga_marl.hyperparameters",
    "aga_ablation_table": "aga_ablation.table",
    "aga_ablation_curves": "aga_ablation.curves",
    "aga_ablation_trend_table": "aga_ablation.trend_table",
    "aga_ablation_trend_curves": "aga_ablation.trend_curves",
    "recip_table1_ipd_round_robin": "recip_ipd.table",
    "recip_fig2_ipd_rollout": "recip_ipd_rollout.plot",
    "recip_ipd_rollout_sensitivity": "recip_ipd_rollout.sensitivity",
    "recip_ipd_mmaml_study_table": "recip_ipd_mmaml_study.table",
    "recip_ipd_mmaml_study_figure": "recip_ipd_mmaml_study.figure",
    "recip_fig1_payoffs": "recip_coins.fig1_payoffs",
    "recip_fig3_coins_vs_nl": "recip_coins.fig3",
    "recip_fig4_coins_head_to_head": "recip_coins.fig4",
    "recip_figA_coins_symmetric": "recip_coins.fig_a_symmetric",
    "recip_figA_coins_vs_nl": "recip_coins.fig_a_vs_nl",
    "recip_hyperparameters": "recip_coins.hyperparameters",
    "recip_coins_diagnosis_table": "recip_coins_diagnosis.table",
    "recip_coins_diagnosis_figure": "recip_coins_diagnosis.figure",
    "recip_coins_diagnosis_trend_table": "recip_coins_diagnosis.trend_table",
    "recip_coins_diagnosis_trend_figure": "recip_coins_diagnosis.trend_figure",
    "recip_coins_confirm_table": "recip_coins_diagnosis.confirm_table",
    "claims_scorecard": "scorecard.plot",
}


def get(name: str) -> Callable:
    """The plot function registered as ``name`` (KeyError for an unknown name)."""
    module, _, function = PLOTS[name].rpartition(".")
    return getattr(import_module(f"{__name__}.{module}"), function)
