# mixedmotive: every figure and table of AgA (Li et al. 2024) and Reciprocators (Zhou et al. 2024).
#   snakemake --cores all [--config scale=smoke|default|paper]
configfile: "config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/aga_games.smk"
include: "workflow/rules/aga_ssd.smk"
include: "workflow/rules/aga_mmm2.smk"
include: "workflow/rules/aga_ablation.smk"
include: "workflow/rules/recip_ipd.smk"
include: "workflow/rules/recip_coins.smk"
include: "workflow/rules/recip_coins_diagnosis.smk"
include: "workflow/rules/claims.smk"
include: "workflow/rules/preflight.smk"


rule all:
    input:
        ALL_OUTPUTS,
    default_target: True
