"""A value bound to a context variable for the duration of a ``with`` block."""

from __future__ import annotations

import contextvars
from contextlib import contextmanager


@contextmanager
def bound(var: contextvars.ContextVar, value):
    """Set ``var`` to ``value`` inside the block and restore what it was afterwards; yields ``value``."""
    token = var.set(value)
    try:
        yield value
    finally:
        var.reset(token)
