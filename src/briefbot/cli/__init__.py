"""The ``briefbot`` command line: a thin layer over ``Briefbot``.

Each concept registers its commands from its own module on the shared ``app``.
"""

from __future__ import annotations

from briefbot.cli.common import app, main

# Importing a command module registers its commands on ``app``.
from briefbot.cli import library  # noqa: F401  isort: skip
from briefbot.cli import watch  # noqa: F401  isort: skip
from briefbot.cli import answers  # noqa: F401  isort: skip
from briefbot.cli import briefs  # noqa: F401  isort: skip
from briefbot.cli import framing  # noqa: F401  isort: skip
from briefbot.cli import evals  # noqa: F401  isort: skip
from briefbot.cli import maintenance  # noqa: F401  isort: skip

__all__ = ["app", "main"]
