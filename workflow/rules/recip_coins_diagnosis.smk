# Coins diagnosis (docs/decisions.md C10): the Reciprocator's r_RR weight x normalisation
# cells at recip_coins' budget, and with recip_coins_diagnosis.trend.multipliers a longer run
# -> tables/recip_coins_diagnosis, figures/recip_coins_diagnosis (and the trend's table and figure);
# with recip_coins_diagnosis.confirm.cell one cell re-tested on fresh seeds -> tables/recip_coins_confirm (C11);
# with recip_coins_diagnosis.budget.multiplier the Coins claims at that multiple of the episodes (A16).

DIAG = CFG["recip_coins_diagnosis"]
DIAG_TREND = DIAG["trend"]
# the cell of recip_coins' own settings: its runs at x1 are recip_coins' runs (the same settings)
DIAG_MAIN_CELL = coins_main_cell()
DIAG_CELLS = [coins_cell(w, n) for w in DIAG["rr_weights"] for n in DIAG["rr_normalise"]]
DIAG_BUDGET = DIAG["budget"]
if DIAG_BUDGET["multiplier"] == 1:
    sys.exit("mixedmotive: invalid config: key 'recip_coins_diagnosis.budget.multiplier': 1 is the default budget "
             "(recip_coins itself); 0 = off, else a multiple of at least 2")


rule recip_coins_diagnosis:
    output:
        f"{RES}/recip_coins_diagnosis/x{{mult}}/{{pairing}}/{{cell}}/seed{{seed}}.parquet",
    wildcard_constraints:
        mult=r"\d+",
        pairing="|".join(dict.fromkeys(["reciprocator_vs_nl", "reciprocator_vs_reciprocator", "nl_vs_nl",
                                        *DIAG_BUDGET["pairings"]])),
        cell=r"w[0-9.e+-]+-(raw|norm)",
    params:
        cfg=job_cfg("recip_coins_diagnosis", method=lambda w: str(DiagnosisRun(w.pairing, w.cell, int(w.mult)))),
    conda:
        ENV
    log:
        f"logs/{SCALE}/recip_coins_diagnosis/x{{mult}}/{{pairing}}/{{cell}}/seed{{seed}}.log",
    resources:
        runtime=runtime_of("recip_coins_diagnosis"),
        mem_mb=mem_of("recip_coins_diagnosis"),
        cpus_per_task=1,
    shell:
        "python workflow/scripts/mixedmotive_cli.py train recip_coins_diagnosis"
        " --method {wildcards.pairing}:{wildcards.cell}:x{wildcards.mult}"
        " --seed {wildcards.seed} --config-json {params.cfg} --out {output} > {log} 2>&1"


DIAG_SEEDS = range(DIAG["n_seeds"])
# the cells' Reciprocator pairings, and the baselines the claims compare them with (recip_coins' runs:
# a pairing without a Reciprocator does not read the cell)
DIAG_BASELINES = {"reciprocator_vs_nl": ["nl_vs_nl", "mfos_vs_nl"], "reciprocator_vs_reciprocator": ["nl_vs_nl", "mfos_vs_mfos"]}
DIAG_RESULTS = [diag_run(p, c, 1, s) for p in DIAG["pairings"] for c in DIAG_CELLS for s in DIAG_SEEDS] + [
    f"{RES}/recip_coins/{b}/seed{s}.parquet"
    for b in dict.fromkeys(b for p in DIAG["pairings"] for b in DIAG_BASELINES[p])
    for s in DIAG_SEEDS
]
# Only the largest multiplier is trained; smaller budgets are its first episodes (docs/decisions.md C10).
DIAG_TREND_RESULTS = [
    diag_run(p, DIAG_MAIN_CELL, max(DIAG_TREND["multipliers"]), s)
    for p in ("reciprocator_vs_nl", "nl_vs_nl")
    for s in range(DIAG_TREND["n_seeds"])
] if DIAG_TREND["multipliers"] else []
# The confirmation (decision C11): the cell's Reciprocator vs NL-PPO and NL-PPO vs NL-PPO on fresh seeds,
# both trained by rule recip_coins_diagnosis (never recip_coins' files: its claims read only its own seeds).
DIAG_CONFIRM = DIAG["confirm"]
DIAG_CONFIRM_SEEDS = list(coins_confirm_seeds(CFG))
DIAG_CONFIRM_RESULTS = [
    f"{RES}/recip_coins_diagnosis/x1/{p}/{DIAG_CONFIRM['cell']}/seed{s}.parquet"
    for p in ("reciprocator_vs_nl", "nl_vs_nl")
    for s in DIAG_CONFIRM_SEEDS
]
# ... and, for the table's context, the same cell and baseline on the seeds that chose the cell
DIAG_CONFIRM_CONTEXT = [diag_run("reciprocator_vs_nl", DIAG_CONFIRM["cell"], 1, s) for s in DIAG_SEEDS] + [
    f"{RES}/recip_coins/nl_vs_nl/seed{s}.parquet" for s in DIAG_SEEDS
] if DIAG_CONFIRM["cell"] else []
CLAIM_CFG["coins_confirm"] = {"cell": DIAG_CONFIRM["cell"], "seeds": DIAG_CONFIRM_SEEDS, "chosen_seeds": DIAG["n_seeds"]}
DIAG_PLOT_SETTINGS = {
    **{k: DIAG[k] for k in ("pairings", "rr_weights", "rr_normalise", "trend", "n_seeds")},
    "main_cell": DIAG_MAIN_CELL,
    "episodes": COINS["episodes"],
    "smooth": COINS["smooth"],
    "scale": SCALE,
    **{k: CFG["claims"][k] for k in ("coins_final_fraction", "coins_margin", "coins_alpha")},
}
DIAG_PLOT_CFG = as_arg(DIAG_PLOT_SETTINGS)
# what the confirmation's table reads (not the cells' table: confirming a cell does not redraw it)
DIAG_CONFIRM_PLOT_CFG = as_arg(
    {
        **{k: DIAG_PLOT_SETTINGS[k] for k in ("n_seeds", "main_cell", "episodes", "scale", "coins_final_fraction",
                                              "coins_margin", "coins_alpha")},
        "confirm": {"cell": DIAG_CONFIRM["cell"], "seeds": DIAG_CONFIRM_SEEDS},
    }
)


rule recip_coins_diagnosis_table:
    input:
        DIAG_RESULTS,
    output:
        **table_outputs("recip_coins_diagnosis", "../report/recip_coins_diagnosis.rst", "Reciprocators"),
    params:
        cfg=DIAG_PLOT_CFG,
    conda:
        ENV
    log:
        f"logs/{SCALE}/plots/recip_coins_diagnosis.log",
    shell:
        "python workflow/scripts/mixedmotive_cli.py plot recip_coins_diagnosis_table {input}"
        " --config-json {params.cfg} --out {output.pdf} > {log} 2>&1"


rule recip_coins_diagnosis_figure:
    input:
        DIAG_RESULTS,
    output:
        reported(f"{FIG}/recip_coins_diagnosis.pdf", "../report/recip_coins_diagnosis.rst", "Reciprocators"),
    params:
        cfg=DIAG_PLOT_CFG,
    conda:
        ENV
    log:
        f"logs/{SCALE}/plots/recip_coins_diagnosis_figure.log",
    shell:
        "python workflow/scripts/mixedmotive_cli.py plot recip_coins_diagnosis_figure {input}"
        " --config-json {params.cfg} --out {output} > {log} 2>&1"


rule recip_coins_diagnosis_trend_table:
    input:
        DIAG_TREND_RESULTS,
    output:
        **table_outputs("recip_coins_diagnosis_trend", "../report/recip_coins_diagnosis.rst", "Reciprocators"),
    params:
        cfg=DIAG_PLOT_CFG,
    conda:
        ENV
    log:
        f"logs/{SCALE}/plots/recip_coins_diagnosis_trend.log",
    shell:
        "python workflow/scripts/mixedmotive_cli.py plot recip_coins_diagnosis_trend_table {input}"
        " --config-json {params.cfg} --out {output.pdf} > {log} 2>&1"


rule recip_coins_diagnosis_trend_figure:
    input:
        DIAG_TREND_RESULTS,
    output:
        reported(f"{FIG}/recip_coins_diagnosis_trend.pdf", "../report/recip_coins_diagnosis.rst", "Reciprocators"),
    params:
        cfg=DIAG_PLOT_CFG,
    conda:
        ENV
    log:
        f"logs/{SCALE}/plots/recip_coins_diagnosis_trend_figure.log",
    shell:
        "python workflow/scripts/mixedmotive_cli.py plot recip_coins_diagnosis_trend_figure {input}"
        " --config-json {params.cfg} --out {output} > {log} 2>&1"


rule recip_coins_confirm_table:
    input:
        DIAG_CONFIRM_RESULTS,
        DIAG_CONFIRM_CONTEXT,
    output:
        **table_outputs("recip_coins_confirm", "../report/recip_coins_diagnosis.rst", "Reciprocators"),
    params:
        cfg=DIAG_CONFIRM_PLOT_CFG,
    conda:
        ENV
    log:
        f"logs/{SCALE}/plots/recip_coins_confirm.log",
    shell:
        "python workflow/scripts/mixedmotive_cli.py plot recip_coins_confirm_table {input}"
        " --config-json {params.cfg} --out {output.pdf} > {log} 2>&1"


# The Coins claims at recip_coins_diagnosis.budget.multiplier x recip_coins' episodes (docs/decisions.md A16): runs
# of recip_coins' own cell, decided as a larger budget of the claims (a trend run of the same multiplier, pairing
# and seed is the same file).
DIAG_BUDGET_RESULTS = [
    diag_run(p, DIAG_MAIN_CELL, DIAG_BUDGET["multiplier"], s)
    for p in DIAG_BUDGET["pairings"]
    for s in range(DIAG_BUDGET["n_seeds"])
] if DIAG_BUDGET["multiplier"] else []
if DIAG_BUDGET_RESULTS:
    CLAIM_INPUTS += DIAG_BUDGET_RESULTS
    CLAIM_CFG["budgets"] = CLAIM_CFG.get("budgets", []) + [
        {"name": f"{DIAG_BUDGET['multiplier']}x", "kind": "recip_coins", "paths": DIAG_BUDGET_RESULTS,
         "n_seeds": DIAG_BUDGET["n_seeds"], "pairings": DIAG_BUDGET["pairings"]}]

ALL_OUTPUTS += [f"{FIG}/recip_coins_diagnosis.pdf", *table("recip_coins_diagnosis")]
if DIAG_TREND["multipliers"]:
    ALL_OUTPUTS += [f"{FIG}/recip_coins_diagnosis_trend.pdf", *table("recip_coins_diagnosis_trend")]
CLAIM_INPUTS += [p for p in DIAG_RESULTS if "/recip_coins_diagnosis/" in p]
if DIAG_CONFIRM["cell"]:
    ALL_OUTPUTS += [*table("recip_coins_confirm")]
CLAIM_INPUTS += DIAG_CONFIRM_RESULTS
