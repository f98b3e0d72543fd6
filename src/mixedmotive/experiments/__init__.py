"""Experiments: one module per experiment with ``run(cfg, method, seed, device) -> DataFrame``.

The registry of experiments (trainer, job settings, rule, area, claims, outputs) is
:data:`mixedmotive.jobs.EXPERIMENTS`.
"""
