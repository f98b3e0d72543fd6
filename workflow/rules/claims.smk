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
