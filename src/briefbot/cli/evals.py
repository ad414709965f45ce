"""Commands of this concept register here on the shared app."""

from __future__ import annotations
