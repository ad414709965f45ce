"""``python -m briefbot.ui.serve app.py [streamlit options]``: the app's server, warm at start.

Opens the store from settings and loads the embedding model (``briefbot.ui.shared``), then runs
``streamlit run`` with the given arguments in this same process, so the server answers health
only once the first page can be drawn without waiting for either, and every session shares that
one model. ``make run`` starts the app this way. A store that cannot be opened is reported here
and again on the page (``app.py``), where the reader sees it.
"""

from __future__ import annotations

import importlib
import sys
import time
from collections.abc import Sequence

from briefbot.errors import BriefbotError
from briefbot.settings import load_settings, redact_userinfo
from briefbot.text.clean import for_display
from briefbot.ui.shared import wait_until_warm

PAGE_MODULES = ("briefbot.ui.components", "briefbot.ui.feed_watch", "briefbot.ui.text")


def main(argv: Sequence[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        raise SystemExit("usage: python -m briefbot.ui.serve app.py [streamlit run options]")
    start = time.perf_counter()
    try:
        settings = load_settings()
        wait_until_warm(settings)
    except BriefbotError as exc:
        message = for_display(redact_userinfo(str(exc)))
        print(f"briefbot: the app will show this error: {message}", file=sys.stderr)
    else:
        print(
            f"briefbot: store open and embedding model loaded in "
            f"{time.perf_counter() - start:.1f} s",
            file=sys.stderr,
        )
    from streamlit.web import cli as streamlit_cli

    for module in PAGE_MODULES:  # so that the first visit does not import them either
        importlib.import_module(module)

    sys.argv = ["streamlit", "run", *args]
    streamlit_cli.main()


if __name__ == "__main__":
    main()
