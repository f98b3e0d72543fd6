"""mixedmotive: reproductions of AgA (Li et al. 2024) and Reciprocators (Zhou et al. 2024)."""

__version__ = "0.1.0"
