"""The app's one ``Briefbot`` per store and embedder, for every session of the server process.

``briefbot.ui.serve`` (what ``make run`` starts) opens it and loads its embedding model before
Streamlit answers its first request, so the first visit waits for neither; under a plain
``streamlit run app.py`` the first visit opens it and the model loads in the background.
Either way the model loads once per process: every session gets the same ``Briefbot``.
"""

from __future__ import annotations

import threading

from briefbot.facade import Briefbot
from briefbot.settings import Settings

_bots: dict[tuple[str, str], Briefbot] = {}
_warm_ups: dict[tuple[str, str], threading.Thread] = {}
_lock = threading.Lock()


def _key(settings: Settings) -> tuple[str, str]:
    return settings.store_location, settings.embedder


def shared_bot(settings: Settings) -> Briefbot:
    """The process's ``Briefbot`` for ``settings``' store and embedder, opened on first call,
    its model then loading in the background (``Briefbot.warm_up``)."""
    key = _key(settings)
    with _lock:
        bot = _bots.get(key)
        if bot is None:
            bot = Briefbot.open(settings=settings)
            _warm_ups[key] = bot.warm_up()
            _bots[key] = bot
        return bot


def wait_until_warm(settings: Settings) -> None:
    """Block until the model of ``shared_bot(settings)`` has loaded (or failed to: the first
    use that needs it raises the error again)."""
    shared_bot(settings)
    _warm_ups[_key(settings)].join()
