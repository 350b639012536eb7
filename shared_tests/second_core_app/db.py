"""core_app's Connection per unit of work, under the throwaway variant's name."""

from core_app.db import open_unit

__all__ = ["open_unit"]
