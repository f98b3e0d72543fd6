"""Differentiable games: AgA's two-player game and the public goods game."""

from . import diffgame
from .public_goods import PublicGoodsGame

__all__ = ["diffgame", "PublicGoodsGame"]
