# Preflight (docs/cluster.md): before a long (cluster) run, measure the costliest job of every training rule
# at this scale for a few units, checkpoint and resume it, project every job and check the rules' requested
# runtime and mem_mb; on cpu it writes the scale's entries of workflow/costs.yaml, which the requests come
# from.  Not part of `all`:  snakemake preflight --cores 2 --config scale=paper


rule preflight:
    output:
        f"logs/{SCALE}/preflight/table.txt",
    params:
        scale=SCALE,
        device=CFG["device"],
    threads: 64  # capped at --cores: the measurements run side by side
    conda:
        ENV
    log:
        f"logs/{SCALE}/preflight/preflight.log",
    shell:
        "python workflow/scripts/mixedmotive_cli.py preflight --scale {params.scale} --cores {threads}"
        " --device {params.device} --out {output} > {log} 2>&1"
