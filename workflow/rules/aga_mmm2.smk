# AgA Selfish-MMM2: the scenario schematic (appendix Fig. 5), drawn from the embedded simulator's definition.
# The training rules (Fig. 6, claims) are not built yet.


rule aga_fig5_mmm2_units:
    output:
        report("figures/aga_fig5_mmm2_units.pdf", caption="../report/aga_fig5_mmm2_units.rst", category="AgA"),
    conda:
        ENV
    log:
        f"logs/{SCALE}/plots/aga_fig5_mmm2_units.log",
    shell:
        "python workflow/scripts/mixedmotive_cli.py plot aga_fig5_mmm2_units --out {output} > {log} 2>&1"


ALL_OUTPUTS += ["figures/aga_fig5_mmm2_units.pdf"]
