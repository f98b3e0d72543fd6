"""Command line used by the Snakemake rules (and usable on its own).

    python -m mixedmotive train EXPERIMENT --method M --seed S --config-json JSON --out results/x.parquet
    python -m mixedmotive plot NAME RESULT [RESULT ...] --config-json JSON --out figures/x.pdf
    python -m mixedmotive claims RESULT [RESULT ...] --config-json JSON --out tables/claims.pdf

``--config-json`` is the experiment's section of the resolved config (the rules
pass it so that Snakemake reruns a job whose settings changed).
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import torch


def _train(args) -> None:
    from . import results
    from .config import resolve_device
    from .experiments import EXPERIMENTS

    cfg = json.loads(args.config_json)
    device = resolve_device(cfg.get("device", "auto"))
    torch.manual_seed(args.seed)
    started = time.time()
    out = EXPERIMENTS[args.experiment](cfg, args.method, args.seed, device)
    frame, artifact = out if isinstance(out, tuple) else (out, None)
    meta = results.provenance(experiment=args.experiment, method=args.method, seed=args.seed,
                              cfg=cfg, device=device, started=started)
    if artifact is not None:  # e.g. meta-trained parameters other rules load
        results.write_artifact(artifact, results.artifact_path(args.out))
    results.write(frame, args.out, meta)
    print(f"wrote {args.out} ({len(frame)} rows, {meta['wall_s']} s)")


def _plot(args) -> None:
    from .plots import PLOTS

    PLOTS[args.name](args.inputs, args.out, json.loads(args.config_json))
    print(f"wrote {args.out}")


def _claims(args) -> None:
    from .analysis.claims import write_claims

    write_claims(args.inputs, args.out, json.loads(args.config_json))
    print(f"wrote {args.out}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="mixedmotive")
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="run one (experiment, method, seed) and write raw results")
    t.add_argument("experiment")
    t.add_argument("--method", default=None)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--config-json", required=True)
    t.add_argument("--out", required=True)
    t.set_defaults(func=_train)
    p = sub.add_parser("plot", help="raw results -> one figure or table")
    p.add_argument("name")
    p.add_argument("--config-json", default="{}")
    p.add_argument("--out", required=True)
    p.add_argument("inputs", nargs="*")
    p.set_defaults(func=_plot)
    c = sub.add_parser("claims", help="raw results -> the paper-claims table")
    c.add_argument("--config-json", default="{}")
    c.add_argument("--out", required=True)
    c.add_argument("inputs", nargs="*")
    c.set_defaults(func=_claims)
    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main(sys.argv[1:])
