# The paper-claims registry checked on every raw result the claims need.

CLAIM_INPUTS = [
    *raw("aga_diffgame"),
    *raw("aga_public_goods"),
    rules.aga_runtime.output[0],
]


rule claims:
    input:
        CLAIM_INPUTS,
    output:
        report(
            "tables/claims.pdf",
            caption="../report/claims.rst",
            category="Claims",
        ),
        "tables/claims.csv",
        "tables/claims.tex",
    params:
        cfg=as_arg(CFG["claims"]),
    log:
        f"logs/{SCALE}/plots/claims.log",
    shell:
        "{PY} -m mixedmotive claims {input} --config-json {params.cfg} --out {output[0]} > {log} 2>&1"


ALL_OUTPUTS += ["tables/claims.pdf", "tables/claims.csv", "tables/claims.tex"]
