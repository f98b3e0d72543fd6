"""Command line used by the Snakemake rules (and usable on its own).

    python -m mixedmotive train EXPERIMENT --method M --seed S --config-json JSON --out results/x.parquet
    python -m mixedmotive plot NAME RESULT [RESULT ...] --config-json JSON --scale S --out figures/x.pdf
    python -m mixedmotive claims RESULT [RESULT ...] --config-json JSON --scale S --out tables/claims.pdf
    python -m mixedmotive costs --scale S      # refresh workflow/costs.yaml from results/S's sidecars
    python -m mixedmotive snapshot check       # is each area of docs/results/ trained by HEAD's code?
    python -m mixedmotive snapshot compare     # do the jobs re-trained here equal the snapshot's, bit for bit?
    python -m mixedmotive fingerprint compare  # do the smoke raw results equal the committed fingerprint?

Every figure and table carries a footer with its scale and the commit that made it
(:mod:`mixedmotive.plots.footer`).

``--config-json`` is the experiment's section of the resolved config (the rules
pass it so that Snakemake reruns a job whose settings changed).  Long trainers
checkpoint to ``<out>.ckpt`` (``seedS.ckpt`` beside ``seedS.parquet``) every
``--checkpoint-every-s`` seconds (default: ``$MIXEDMOTIVE_CHECKPOINT_EVERY_S``, which the
workflow sets from the config's ``checkpoint_every_s``, else 60) or ``--checkpoint-every-n``
episodes; a rerun resumes from that file, which is deleted once the result is written
(:mod:`mixedmotive.checkpoint`).  SIGTERM, SIGINT or SIGURG during ``train`` save a checkpoint at
the trainer's next save point and exit with status 128 + the signal's number (a clean stop; the
rerun resumes there, bit-identically).

    python -m mixedmotive preflight --scale paper [--cores N] [--jobs J]   # before a cluster run
                                              # (mixedmotive.preflight; docs/cluster.md)
"""

from __future__ import annotations

import argparse
import json
import sys
import time


def _train(args) -> None:
    from . import checkpoint, results
    from .config import config_hash, resolve_device
    from .jobs import EXPERIMENTS

    cfg = json.loads(args.config_json)
    every_s = checkpoint.interval_s(cfg, args.checkpoint_every_s)  # (taken out of cfg: no setting)
    key = {"experiment": args.experiment, "method": args.method, "seed": args.seed,
           "config_hash": config_hash(cfg)}
    ckpt = checkpoint.Checkpointer(checkpoint.path_for(args.out), every_s=every_s,
                                   every_n=args.checkpoint_every_n, key=key,
                                   stop_after=checkpoint.stop_after_from_env())
    for path in (args.out, results.sidecar(args.out), results.artifact_path(args.out)):
        results.remove_temps(path)  # left by a run killed while writing (this job owns these paths)
    import torch

    device = resolve_device(cfg.get("device", "auto"))
    torch.manual_seed(args.seed)
    started = time.time()
    # long trainers save / resume through checkpoint.active(); a signal saves and stops at the next save point
    with checkpoint.activate(ckpt), checkpoint.stop_on_signals(ckpt):
        out = EXPERIMENTS[args.experiment].run(cfg, args.method, args.seed, device)
    frame, artifact = out if isinstance(out, tuple) else (out, None)
    meta = results.provenance(experiment=args.experiment, method=args.method, seed=args.seed,
                              cfg=cfg, device=device, started=started)
    meta["checkpoint"] = {"every_s": ckpt.every_s, "every_n": ckpt.every_n, "saves": ckpt.saves,
                          "save_s": round(ckpt.save_s, 3), "resumed_from_step": ckpt.resumed_from}
    if artifact is not None:  # e.g. meta-trained parameters other rules load
        results.write_artifact(artifact, results.artifact_path(args.out))
    results.write(frame, args.out, meta)  # atomic: a kill leaves no partial result
    ckpt.done()
    print(f"wrote {args.out} ({len(frame)} rows, {meta['wall_s']} s)", flush=True)


def _footer(args, cfg: dict):
    """Install the footer (scale, commit) every figure and table of this call carries."""
    import os

    from .plots import footer

    scale = args.scale or os.environ.get("MIXEDMOTIVE_SCALE") or cfg.get("scale")
    return footer.use(footer.text_for(scale, args.inputs))


def _plot(args) -> None:
    from . import plots

    cfg = json.loads(args.config_json)
    with _footer(args, cfg):
        plots.get(args.name)(args.inputs, args.out, cfg)
    print(f"wrote {args.out}")


def _claims(args) -> None:
    from .plots.claims import write_claims

    cfg = json.loads(args.config_json)
    with _footer(args, cfg):
        write_claims(args.inputs, args.out, cfg)
    print(f"wrote {args.out}")


def _costs(args) -> None:
    from .estimate import refresh
    from .results import cpu_name, git_sha

    results = args.results or f"results/{args.scale}"
    note = args.note or f"{time.strftime('%Y-%m-%d')}, sidecars of {results} (commit {git_sha()[:10]}), {cpu_name()}"
    costs = refresh(args.scale, results, note)
    print(f"workflow/costs.yaml: {sum(len(v) for v in costs[args.scale].values())} costs for scale {args.scale}")


def _preflight(args) -> None:
    from .preflight import main as preflight_main

    sys.exit(preflight_main(args))


def _snapshot(args) -> None:
    from . import snapshot

    if args.action == "compare":
        print(snapshot.compare_report(snapshot.compare()))
        return
    if args.action == "collect":
        print(f"copied {len(snapshot.collect())} files into docs/results/")
    rows = snapshot.check()
    print(snapshot.report(rows))
    if args.strict and any(not r["status"].startswith("current") for r in rows):
        sys.exit(1)


def _fingerprint(args) -> None:
    from . import fingerprint

    kind = fingerprint.cpu_kind()
    if args.action == "write":
        entry = fingerprint.write(args.results)
        print(f"{fingerprint.FINGERPRINT.relative_to(fingerprint.ROOT)}: {len(entry['hashes'])} raw results for {kind}")
        return
    status, lines = fingerprint.compare(args.results)
    if status == "no fingerprint":
        print(f"no fingerprint for this CPU kind ({kind}); `python -m mixedmotive fingerprint write` records one")
        return
    print("\n".join(lines) if lines else f"same: every raw result under {args.results} equals the fingerprint ({kind})")
    if lines:
        sys.exit(1)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="mixedmotive")
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="run one (experiment, method, seed) and write raw results")
    t.add_argument("experiment")
    t.add_argument("--method", default=None)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--config-json", required=True)
    t.add_argument("--out", required=True)
    t.add_argument("--checkpoint-every-s", type=float, default=None,
                   help="seconds between checkpoints of long trainers (default: "
                        "$MIXEDMOTIVE_CHECKPOINT_EVERY_S, else 60; 0 turns the time interval off)")
    t.add_argument("--checkpoint-every-n", type=int, default=None,
                   help="also checkpoint every N episodes (e.g. for tests)")
    t.set_defaults(func=_train)
    p = sub.add_parser("plot", help="raw results -> one figure or table")
    p.add_argument("name")
    c = sub.add_parser("claims", help="raw results -> the paper-claims table")
    for q, func in ((p, _plot), (c, _claims)):
        q.add_argument("--config-json", default="{}")
        q.add_argument("--out", required=True)
        q.add_argument("--scale", default=None,
                       help="scale named in the footer (default: $MIXEDMOTIVE_SCALE, which the workflow sets, else "
                       "the config's)")
        q.add_argument("inputs", nargs="*")
        q.set_defaults(func=func)
    m = sub.add_parser("costs", help="refresh workflow/costs.yaml (per-job seconds) from results' sidecars")
    m.add_argument("--scale", required=True)
    m.add_argument("--results", default=None, help="folder of raw results (default: results/<scale>)")
    m.add_argument("--note", default=None, help="where the numbers come from (default: date, commit, CPU)")
    m.set_defaults(func=_costs)
    f = sub.add_parser("preflight", help="measure the costliest job of every training rule at a scale (a few "
                       "units, a checkpoint, a resume), project every job and check the rules' requested resources")
    f.add_argument("--scale", default="paper")
    f.add_argument("--cores", type=int, default=None, help="local cores for the wall-time estimate and the "
                   "measurements run side by side (default: all of this machine's)")
    f.add_argument("--jobs", type=int, default=100, help="concurrent cluster jobs for the estimate (default 100, "
                   "as profiles/slurm)")
    f.add_argument("--device", default="cpu", help="device of the measured runs (cpu, cuda, auto)")
    f.add_argument("--rules", nargs="*", default=None, help="only these training rules")
    f.add_argument("--scratch", default=None, help="folder for the measured runs (default: a temporary one)")
    f.add_argument("--write", action=argparse.BooleanOptionalAction, default=None,
                   help="write the measurements into workflow/costs.yaml (default: yes on cpu, no on another device)")
    f.add_argument("--out", default=None, help="also write the table to this file")
    f.set_defaults(func=_preflight)
    n = sub.add_parser("snapshot", help="check (or collect, then check) the results snapshot in docs/results/, "
                       "or compare the raw results re-trained here with it")
    n.add_argument("action", choices=("check", "collect", "compare"))
    n.add_argument("--strict", action="store_true", help="exit 1 unless every area is current")
    n.set_defaults(func=_snapshot)
    f = sub.add_parser("fingerprint", help="compare the smoke raw results with the committed fingerprint, or write it")
    f.add_argument("action", choices=("compare", "write"))
    f.add_argument("--results", default="results/smoke", help="folder of smoke raw results (default: results/smoke)")
    f.set_defaults(func=_fingerprint)
    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main(sys.argv[1:])
