# AgA on differentiable games: Fig. 1, Table 1, Fig. 4, Table 3.


rule aga_diffgame:
    output:
        table=f"{RES}/aga_diffgame/{{method}}/seed{{seed}}.parquet",
        meta=f"{RES}/aga_diffgame/{{method}}/seed{{seed}}.json",
    params:
        cfg=as_arg(section("aga_diffgame")),
    conda:
        ENV
    log:
        f"logs/{SCALE}/aga_diffgame/{{method}}/seed{{seed}}.log",
    resources:
        runtime=10,
        mem_mb=1000,
        cpus_per_task=1,
    shell:
        "python workflow/scripts/mixedmotive_cli.py train aga_diffgame --method {wildcards.method} --seed {wildcards.seed}"
        " --config-json {params.cfg} --out {output.table} > {log} 2>&1"


rule aga_public_goods:
    output:
        table=f"{RES}/aga_public_goods/{{method}}/seed{{seed}}.parquet",
        meta=f"{RES}/aga_public_goods/{{method}}/seed{{seed}}.json",
    params:
        cfg=as_arg(section("aga_public_goods")),
    conda:
        ENV
    log:
        f"logs/{SCALE}/aga_public_goods/{{method}}/seed{{seed}}.log",
    resources:
        runtime=10,
        mem_mb=1000,
        cpus_per_task=1,
    shell:
        "python workflow/scripts/mixedmotive_cli.py train aga_public_goods --method {wildcards.method} --seed {wildcards.seed}"
        " --config-json {params.cfg} --out {output.table} > {log} 2>&1"


rule aga_runtime:
    output:
        table=f"{RES}/aga_runtime/all/seed0.parquet",
        meta=f"{RES}/aga_runtime/all/seed0.json",
    params:
        cfg=as_arg(section("aga_runtime", public_goods=CFG["aga_public_goods"])),
    conda:
        ENV
    log:
        f"logs/{SCALE}/aga_runtime/all/seed0.log",
    resources:
        runtime=30,
        mem_mb=1000,
        cpus_per_task=1,
    shell:
        "python workflow/scripts/mixedmotive_cli.py train aga_runtime --seed 0 --config-json {params.cfg}"
        " --out {output.table} > {log} 2>&1"


rule aga_fig1_trajectories:
    input:
        raw("aga_diffgame"),
    output:
        report(
            "figures/aga_fig1_trajectories.pdf",
            caption="../report/aga_fig1_trajectories.rst",
            category="AgA",
        ),
    params:
        cfg=as_arg(CFG["aga_diffgame"]),
    conda:
        ENV
    log:
        f"logs/{SCALE}/plots/aga_fig1_trajectories.log",
    shell:
        "python workflow/scripts/mixedmotive_cli.py plot aga_fig1_trajectories {input} --config-json {params.cfg} --out {output} > {log} 2>&1"


rule aga_table1_public_goods:
    input:
        raw("aga_public_goods"),
    output:
        pdf=report(
            "tables/aga_table1_public_goods.pdf",
            caption="../report/aga_table1_public_goods.rst",
            category="AgA",
        ),
        csv="tables/aga_table1_public_goods.csv",
        tex="tables/aga_table1_public_goods.tex",
    params:
        cfg=as_arg(CFG["aga_public_goods"]),
    conda:
        ENV
    log:
        f"logs/{SCALE}/plots/aga_table1_public_goods.log",
    shell:
        "python workflow/scripts/mixedmotive_cli.py plot aga_table1_public_goods {input} --config-json {params.cfg} --out {output.pdf} > {log} 2>&1"


rule aga_fig4_public_goods_scatter:
    input:
        raw("aga_public_goods"),
    output:
        report(
            "figures/aga_fig4_public_goods_scatter.pdf",
            caption="../report/aga_fig4_public_goods_scatter.rst",
            category="AgA",
        ),
    params:
        cfg=as_arg(CFG["aga_public_goods"]),
    conda:
        ENV
    log:
        f"logs/{SCALE}/plots/aga_fig4_public_goods_scatter.log",
    shell:
        "python workflow/scripts/mixedmotive_cli.py plot aga_fig4_public_goods_scatter {input} --config-json {params.cfg} --out {output} > {log} 2>&1"


rule aga_table3_runtime:
    input:
        rules.aga_runtime.output.table,
    output:
        pdf=report(
            "tables/aga_table3_runtime.pdf",
            caption="../report/aga_table3_runtime.rst",
            category="AgA",
        ),
        csv="tables/aga_table3_runtime.csv",
        tex="tables/aga_table3_runtime.tex",
    conda:
        ENV
    log:
        f"logs/{SCALE}/plots/aga_table3_runtime.log",
    shell:
        "python workflow/scripts/mixedmotive_cli.py plot aga_table3_runtime {input} --out {output.pdf} > {log} 2>&1"


ALL_OUTPUTS += [
    "figures/aga_fig1_trajectories.pdf",
    "figures/aga_fig4_public_goods_scatter.pdf",
    *table("aga_table1_public_goods"),
    *table("aga_table3_runtime"),
]
CLAIM_INPUTS += [*raw("aga_diffgame"), *raw("aga_public_goods"), rules.aga_runtime.output.table]
