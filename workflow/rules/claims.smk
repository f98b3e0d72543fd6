# The paper-claims registry checked on every raw result the claims need.

rule claims:
    input:
        CLAIM_INPUTS,
    output:
        pdf=report(
            "tables/claims.pdf",
            caption="../report/claims.rst",
            category="Claims",
        ),
        csv="tables/claims.csv",
        tex="tables/claims.tex",
    params:
        cfg=as_arg(CFG["claims"]),
    conda:
        ENV
    log:
        f"logs/{SCALE}/plots/claims.log",
    shell:
        "python workflow/scripts/mixedmotive_cli.py claims {input} --config-json {params.cfg} --out {output.pdf} > {log} 2>&1"


ALL_OUTPUTS += ["tables/claims.pdf", "tables/claims.csv", "tables/claims.tex"]
