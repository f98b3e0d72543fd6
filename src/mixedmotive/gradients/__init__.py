"""The gradient-adjustment engine: one ``direction`` for every method and learner."""

from .engine import METHODS, DirectionInfo, direction
from .shaping import sl_losses, sl_rewards, svo_losses, svo_rewards

__all__ = ["METHODS", "DirectionInfo", "direction", "svo_rewards", "sl_rewards", "svo_losses", "sl_losses"]
