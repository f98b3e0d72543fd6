"""Checkpoints of long training loops: save every so often, resume after a kill, bit-identically.

A :class:`Checkpointer` owns one file (``results/<scale>/<exp>/<method>/seedS.ckpt``, next
to the raw result, see :func:`path_for`).  A training loop uses it like this::

    ckpt = checkpoint.active()                     # what the CLI installed, or a disabled one
    state = ckpt.load()                            # None: start from scratch
    if state is not None:
        ...restore models, optimisers, generators (checkpoint.set_rng_state), logs...
    for episode in range(start, n):
        ...one episode, append its log row...
        ckpt.maybe_save(episode + 1, lambda: {...everything needed to go on...}, total=n)

``step`` is the number of completed episodes, which is where a resumed run starts.  The
state must hold *everything* the rest of the run depends on for the result to be
bit-identical to an uninterrupted run: model and optimiser state dicts, the RNG states
(:func:`rng_state` captures torch's global generator, CUDA's when initialised, Python's
and NumPy's, plus the ``torch.Generator`` objects passed to it) and the progress (the
episode's log rows so far, counters, buffers).  Tensors and plain containers only (it is
written with :func:`torch.save`).

How a trainer finds its checkpointer
------------------------------------
Experiments keep their ``run(cfg, method, seed, device)`` signature: the CLI (``train``)
builds the Checkpointer and installs it for the duration of the run with
``with checkpoint.activate(ckpt): ...``; trainers ask :func:`active`.  Outside such a block
(tests, notebooks, :func:`mixedmotive.agents.ipd_meta.meta_train_mmaml_ids`) :func:`active`
returns a disabled checkpointer whose ``load`` returns None and whose ``maybe_save`` does
nothing, so in-process calls behave exactly as before.  One checkpointer serves one
training loop.

The interval is the top-level config value ``checkpoint_every_s`` (seconds of training
between saves, default 60).  The workflow (``workflow/rules/common.smk``) exports it as
``$MIXEDMOTIVE_CHECKPOINT_EVERY_S`` rather than putting it into the rules' params (a params
change makes Snakemake rerun finished jobs, and the interval changes no result); the CLI
reads it through :func:`interval_s`, where ``--checkpoint-every-s`` overrides it, and a
``checkpoint_every_s`` key inside ``--config-json`` is honoured too but taken out of the
config first, so it never reaches the experiment, the results or the config hash of the
provenance sidecar.  ``--checkpoint-every-n`` adds a step interval (tests).

Each save, and in any case at least once a minute (:data:`PROGRESS_EVERY_S`), prints one
progress line (``episode k/N (p %), elapsed, rate, ETA``; no carriage returns) to stdout,
which the rules redirect into the job's log (``logs/<scale>/<rule>/...``).

Safety
------
* Saves are atomic (temp file beside the target + ``os.replace``): a kill during a save
  leaves the previous checkpoint intact (and at most a hidden ``.seedS.ckpt.*.tmp``
  temp, which the next ``load`` / ``done`` removes).
* The checkpoint records a ``key`` (the CLI's: experiment, method, seed, config hash); a
  checkpoint with another key (e.g. the settings changed after a kill) is discarded and
  training starts from scratch.  Code changes between the kill and the rerun are not
  detected: delete the ``.ckpt`` file (or ``rm results/**/*.ckpt``) after changing a trainer.
* The checkpoint is not a declared Snakemake output (Snakemake deletes the outputs of a
  failed job); the CLI calls :meth:`Checkpointer.done`, which deletes it, only after the
  raw result was written.

Clean stop
----------
While the CLI trains, :func:`stop_on_signals` turns SIGTERM, SIGINT and SIGURG into a
request to stop: the signal handler only sets a flag; the trainer's next
:meth:`Checkpointer.maybe_save` (between two updates or episodes) saves the checkpoint at
once, whatever the interval, logs ``stopped by SIGTERM at episode k/N`` and raises
:class:`Stopped`, a ``SystemExit`` with status 128 + the signal's number (143 for SIGTERM,
130 for SIGINT, 151 for SIGURG).  The rerun resumes at exactly that step.  SIGURG is the one
for SLURM's early warning (``--signal=URG@600``, docs/cluster.md): the shells and the
Snakemake process between SLURM and the trainer ignore it, whereas SIGTERM ends them at once
and the job step's end then kills the trainer before it can save.  The signal exits at once
(nothing is saved) when the trainer has not asked for its checkpoint yet (start-up, or a
trainer that does not checkpoint: a rerun loses nothing more) and on a second signal.  A
signal that comes after the last save point (while the result is written) lets the run end
normally.  Between two save points no state can be saved: MFOS in Coins saves once per
meta-episode (``mfos.inner_episodes`` episodes, about 200 s at the paper scale on a 2-core
AMD EPYC), so a stop waits for the end of that meta-episode.

``$MIXEDMOTIVE_STOP_AFTER_SAVES=N`` (read by the CLI, :func:`stop_after_from_env`) makes the
same stop happen after the N-th save of the process (status :data:`STOPPED_AFTER_SAVES`):
the preflight (:mod:`mixedmotive.preflight`) runs a few units of a paper-scale job with it.
"""

from __future__ import annotations

import contextvars
import os
import random
import signal
import time
from contextlib import contextmanager
from pathlib import Path

import torch

from .context import bound

DEFAULT_EVERY_S = 60.0
PROGRESS_EVERY_S = 60.0  # a CLI run logs progress at least this often, whatever the checkpoint interval
ENV_EVERY_S = "MIXEDMOTIVE_CHECKPOINT_EVERY_S"
ENV_STOP_AFTER = "MIXEDMOTIVE_STOP_AFTER_SAVES"
SUFFIX = ".ckpt"
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGURG)
STOPPED_AFTER_SAVES = 75  # exit status of a run stopped by $MIXEDMOTIVE_STOP_AFTER_SAVES (EX_TEMPFAIL)


class Stopped(SystemExit):
    """A clean stop: the checkpoint is saved; exit status 128 + signal number, or :data:`STOPPED_AFTER_SAVES`."""


def stop_after_from_env() -> int | None:
    """``$MIXEDMOTIVE_STOP_AFTER_SAVES`` as an int (None when unset or empty)."""
    value = os.environ.get(ENV_STOP_AFTER)
    return int(value) if value else None


def interval_s(cfg: dict | None = None, override: float | None = None) -> float | None:
    """Seconds between checkpoints: ``override`` (the CLI flag), else ``cfg["checkpoint_every_s"]``
    (popped from ``cfg``: it is no experiment setting), else ``$MIXEDMOTIVE_CHECKPOINT_EVERY_S``,
    else 60.  0 (or less) means no time interval (None)."""
    value = (cfg or {}).pop("checkpoint_every_s", None)
    if override is not None:
        value = override
    if value is None:
        value = os.environ.get(ENV_EVERY_S) or DEFAULT_EVERY_S
    value = float(value)
    return value if value > 0 else None


def path_for(out: str | Path) -> Path:
    """The checkpoint file of raw result ``out``: ``seedS.parquet`` -> ``seedS.ckpt``."""
    return Path(out).with_suffix(SUFFIX)


class Checkpointer:
    """Periodic, atomic checkpoints of one training loop in file ``path``.

    ``every_s``: save when at least this many seconds passed since the last save (or the
    start); ``every_n``: save every ``every_n`` completed steps; either triggers a save.
    ``path=None`` (or neither interval) disables saving; ``path=None`` also disables loading.
    ``key``: identifies the run; a checkpoint saved under another key is ignored (deleted).
    ``log``: where progress lines go (default: print to stdout, flushed).
    ``stop_after``: after this many saves, stop (raise :class:`Stopped`, see "Clean stop" above).
    """

    def __init__(self, path: str | Path | None, every_s: float | None = DEFAULT_EVERY_S,
                 every_n: int | None = None, key=None, log=None, stop_after: int | None = None):
        if every_s is not None and not every_s > 0:
            raise ValueError(f"every_s must be > 0 or None, got {every_s!r}")
        if every_n is not None and int(every_n) < 1:
            raise ValueError(f"every_n must be >= 1 or None, got {every_n!r}")
        self.path = None if path is None else Path(path)
        self.every_s, self.every_n, self.key = every_s, every_n, key
        self.log = log or (lambda msg: print(msg, flush=True))
        self.resumed_from: int | None = None  # step of the checkpoint that load() returned
        self.saves = 0
        self.save_s = 0.0  # total time spent saving
        self._t0 = self._last = self._last_log = time.monotonic()
        self._cpu0 = time.process_time()
        self._first_step = 0
        self.stop_after = stop_after
        self.stop_signal: int | None = None  # set by the handler of stop_on_signals
        self.loaded = False  # the trainer asked for its checkpoint: it will call maybe_save

    @property
    def enabled(self) -> bool:
        return self.path is not None and (self.every_s is not None or self.every_n is not None)

    # ------------------------------------------------------------------ files
    def _remove_temps(self) -> None:
        """Temps of saves that were killed half-way (``_atomic_write`` cleans up on exceptions only)."""
        from .results import remove_temps

        if self.path is not None:
            remove_temps(self.path)

    def load(self):
        """The state saved last (what ``state_fn`` returned), or None if there is none to resume.

        Sets ``resumed_from`` to the saved step; restarts the interval clock.
        """
        self._t0 = self._last = self._last_log = time.monotonic()
        self._cpu0 = time.process_time()
        self.loaded = True
        if self.path is None:
            return None
        self._remove_temps()
        if not self.path.exists():
            return None
        try:
            blob = torch.load(self.path, map_location="cpu", weights_only=False)
        except Exception as err:  # unreadable (saves are atomic, but disks fail): start over
            self.log(f"checkpoint {self.path} is unreadable ({err!r}); starting from scratch")
            self.path.unlink(missing_ok=True)
            return None
        if not isinstance(blob, dict) or blob.get("key") != self.key:
            self.log(f"checkpoint {self.path} belongs to another run "
                     f"({blob.get('key') if isinstance(blob, dict) else '?'}); starting from scratch")
            self.path.unlink(missing_ok=True)
            return None
        self.resumed_from = self._first_step = int(blob["step"])
        self.log(f"resumed from {self.path} at step {self.resumed_from}")
        return blob["state"]

    def save(self, step: int, state) -> None:
        """Write ``state`` (completed ``step``) atomically; the previous checkpoint survives a failed save."""
        from .results import _atomic_write

        started = time.monotonic()
        blob = {"key": self.key, "step": int(step), "state": state}
        _atomic_write(self.path, lambda tmp: torch.save(blob, tmp))
        self.saves += 1
        self.save_s += time.monotonic() - started

    def due(self, step: int) -> bool:
        if not self.enabled:
            return False
        if self.every_n is not None and step % int(self.every_n) == 0:
            return True
        return self.every_s is not None and time.monotonic() - self._last >= self.every_s

    def maybe_save(self, step: int, state_fn, total: int | None = None) -> bool:
        """Save ``state_fn()`` if an interval has passed after ``step`` completed steps; log progress
        on every save and at least every :data:`PROGRESS_EVERY_S` seconds (when ``path`` is set).

        ``state_fn`` is only called when saving.  Returns whether it saved.  After a stop signal
        (:func:`stop_on_signals`), or the ``stop_after``-th save, it saves at once and raises
        :class:`Stopped`.
        """
        stop = self.stop_signal is not None and self.path is not None
        saved = stop or self.due(step)
        if saved:
            self.save(step, state_fn())
            self._last = time.monotonic()
        if self.path is not None and (saved or time.monotonic() - self._last_log >= PROGRESS_EVERY_S):
            self.log(self.progress(step, total)
                     + (f"; checkpoint saved ({self.save_s / self.saves * 1e3:.1f} ms per save)" if saved else ""))
            self._last_log = time.monotonic()
        if stop:
            name = signal.Signals(self.stop_signal).name
            self.log(f"stopped by {name} at episode {step}" + (f"/{total}" if total is not None else "")
                     + f": checkpoint {self.path} saved; a rerun resumes at step {step}")
            raise Stopped(128 + self.stop_signal)
        if saved and self.stop_after is not None and self.saves >= self.stop_after:
            self.log(f"stopped after {self.saves} saves at episode {step}"
                     + (f"/{total}" if total is not None else "") + f" (${ENV_STOP_AFTER})")
            raise Stopped(STOPPED_AFTER_SAVES)
        return saved

    def progress(self, step: int, total: int | None = None) -> str:
        """``episode k/N (p %), e s elapsed, c s CPU, r episodes/s, ETA t`` since the start or the resume
        (CPU: this process's, all threads; on a shared machine it is what a dedicated core would take)."""
        elapsed, cpu = time.monotonic() - self._t0, time.process_time() - self._cpu0
        rate = (step - self._first_step) / elapsed if elapsed > 0 else float("nan")
        if total is None:
            return f"episode {step}, {elapsed:.1f} s elapsed, {cpu:.1f} s CPU, {rate:.3g} episodes/s"
        eta = (total - step) / rate if rate > 0 else float("nan")
        return (f"episode {step}/{total} ({100 * step / max(total, 1):.0f} %), {elapsed:.1f} s elapsed, "
                f"{cpu:.1f} s CPU, {rate:.3g} episodes/s, ETA {format_duration(eta)}")

    def done(self) -> None:
        """The final result is written: delete the checkpoint (and any stale temp)."""
        if self.path is not None:
            self.path.unlink(missing_ok=True)
            self._remove_temps()


def format_duration(seconds: float) -> str:
    """``3 h 05 min``, ``4 min 07 s``, ``12 s``; ``?`` when unknown."""
    if not seconds == seconds or seconds < 0:  # NaN
        return "?"
    s = int(round(seconds))
    if s >= 3600:
        return f"{s // 3600} h {s % 3600 // 60:02d} min"
    if s >= 60:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s} s"


_ACTIVE: contextvars.ContextVar[Checkpointer | None] = contextvars.ContextVar("checkpointer", default=None)


def active() -> Checkpointer:
    """The checkpointer installed by :func:`activate` (the CLI's), else a disabled one."""
    return _ACTIVE.get() or Checkpointer(None, every_s=None)


def activate(ckpt: Checkpointer):
    """Install ``ckpt`` as :func:`active` for the duration of the ``with`` block."""
    return bound(_ACTIVE, ckpt)


@contextmanager
def stop_on_signals(ckpt: Checkpointer, signals=STOP_SIGNALS):
    """Inside the block, ``signals`` ask ``ckpt`` to save at its next save point and stop
    (see "Clean stop" above); the previous handlers come back on exit.  Main thread only.

    The handler only sets a flag (printing from a handler can hit a half-done print); it raises
    :class:`Stopped` itself when there is nothing to save yet (``ckpt`` not loaded, or no file)
    or when a stop is already pending (a second Ctrl-C).
    """

    def handler(signum, frame):
        if ckpt.stop_signal is not None or not ckpt.loaded or ckpt.path is None:
            raise Stopped(128 + signum)
        ckpt.stop_signal = signum

    previous = {sig: signal.signal(sig, handler) for sig in signals}
    try:
        yield ckpt
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


# ---------------------------------------------------------------------- RNG states
def rng_state(*generators: torch.Generator) -> dict:
    """Every RNG state a training loop may depend on: torch global (and CUDA's when initialised),
    Python's ``random``, NumPy's global generator (when NumPy is importable) and ``generators``."""
    state = {"torch": torch.get_rng_state(), "python": random.getstate(),
             "generators": [g.get_state() for g in generators]}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    try:
        import numpy as np

        state["numpy"] = np.random.get_state()
    except ImportError:  # pragma: no cover - numpy is a dependency
        pass
    return state


def set_rng_state(state: dict, *generators: torch.Generator) -> None:
    """Restore what :func:`rng_state` captured (``generators`` in the same order)."""
    torch.set_rng_state(state["torch"])
    random.setstate(state["python"])
    if "cuda" in state:
        torch.cuda.set_rng_state_all(state["cuda"])
    if "numpy" in state:
        import numpy as np

        np.random.set_state(state["numpy"])
    if len(generators) != len(state["generators"]):
        raise ValueError(f"checkpoint has {len(state['generators'])} generators, got {len(generators)}")
    for g, s in zip(generators, state["generators"], strict=True):
        g.set_state(s)
