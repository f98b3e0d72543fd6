# The paper-claims registry checked on every raw result the claims need.

rule claims:
    input:
        CLAIM_INPUTS,
    output:
        **table_outputs("claims", "../report/claims.rst", "Claims"),
    params:
        cfg=as_arg(CLAIM_CFG),
    conda:
        ENV
    log:
        f"logs/{SCALE}/plots/claims.log",
    shell:
        "python workflow/scripts/mixedmotive_cli.py claims {input} --config-json {params.cfg} --out {output.pdf} > {log} 2>&1"


ALL_OUTPUTS += [f"{TAB}/claims.pdf", f"{TAB}/claims.csv", f"{TAB}/claims.tex"]


# The verdict scorecard: the claims table read in ten seconds (a PNG beside the PDF, for the README).
rule claims_scorecard:
    input:
        f"{TAB}/claims.csv",
    output:
        pdf=reported(f"{FIG}/claims_scorecard.pdf", "../report/claims_scorecard.rst", "Claims"),
        png=f"{FIG}/claims_scorecard.png",
    params:
        cfg=as_arg({"scale": SCALE}),
    conda:
        ENV
    log:
        f"logs/{SCALE}/plots/claims_scorecard.log",
    shell:
        "python workflow/scripts/mixedmotive_cli.py plot claims_scorecard {input}"
        " --config-json {params.cfg} --out {output.pdf} > {log} 2>&1"


ALL_OUTPUTS += [f"{FIG}/claims_scorecard.pdf", f"{FIG}/claims_scorecard.png"]
