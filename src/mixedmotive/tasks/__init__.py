"""Tasks: batched multi-agent environments behind one interface (:class:`mixedmotive.tasks.base.MultiAgentTask`).

The layer between ``envs/`` and ``experiments/``: an experiment builds a task and hands it to
:func:`mixedmotive.experiments.marl.train`.  Import the task you need from its module
(``from mixedmotive.tasks.ssd import SSDTask``); this package imports none of them, so an
experiment's training code (:func:`mixedmotive.snapshot.training_files`) holds only its own task.
"""
