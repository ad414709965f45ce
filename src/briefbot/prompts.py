"""Prompt files (``prompts/*.md``) with ``{placeholders}``, checked when loaded.

Code declares the placeholders it fills for each prompt; a file whose placeholders differ
(one missing, one unknown) is a ``PromptError`` at load time, naming the file and the
placeholder, so a broken prompt stops start-up instead of a request. Literal braces in a
prompt file are written ``{{`` and ``}}``. A line holding only ``---`` splits a prompt into a
system message (above) and a user message (below); without one the prompt is a user message.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from briefbot.backends.llm import ChatMessage
from briefbot.errors import PromptError
from briefbot.settings import Settings

DEFAULT_PROMPTS_DIR = Path(__file__).resolve().parents[2] / "prompts"

CANNOT_ANSWER_PHRASE = "I cannot answer this from the sources."
"""What the answer prompt tells the model to say when the passages hold no answer."""

SYSTEM_SEPARATOR = "\n---\n"

DECLARED: dict[str, frozenset[str]] = {
    "answer": frozenset({"passages", "question", "cannot_answer"}),
    "rewrite_query": frozenset({"history", "question"}),
    "judge": frozenset({"sentence", "span"}),
    "judge_batch": frozenset({"claims", "count"}),
}
"""Placeholders code fills, per prompt name (file ``<name>.md``)."""


@dataclass(frozen=True)
class Prompt:
    name: str
    path: Path
    template: str
    placeholders: frozenset[str]

    def render(self, **values: str) -> str:
        given = frozenset(values)
        if given != self.placeholders:
            missing = sorted(self.placeholders - given)
            unknown = sorted(given - self.placeholders)
            raise PromptError(
                f"{self.path}: rendered with the wrong values "
                f"(missing: {', '.join(missing) or '-'}; unknown: {', '.join(unknown) or '-'})"
            )
        return self.template.format_map(values)

    def messages(self, **values: str) -> list[ChatMessage]:
        """The rendered prompt as chat messages (see the module docstring)."""
        text = self.render(**values)
        system, separator, user = self.template.partition(SYSTEM_SEPARATOR)
        if not separator:
            return [{"role": "user", "content": text.strip()}]
        # Split the template, not the text: a passage may itself hold a "---" line.
        return [
            {"role": "system", "content": system.format_map(values).strip()},
            {"role": "user", "content": user.format_map(values).strip()},
        ]


def placeholders_in(template: str, path: Path) -> set[str]:
    """Named ``{placeholders}`` of a template; positional or dotted fields are errors."""
    found: set[str] = set()
    try:
        fields = [field for _, field, _, _ in string.Formatter().parse(template)]
    except ValueError as error:
        raise PromptError(f"{path}: {error} (write literal braces as {{{{ and }}}})") from None
    for field in fields:
        if field is None:
            continue
        if not field.isidentifier():
            raise PromptError(
                f"{path}: placeholder {{{field}}} is not a plain name "
                "(write literal braces as {{ and }})"
            )
        found.add(field)
    return found


def prompts_dir(settings: Settings | None = None) -> Path:
    if settings is not None and settings.prompts_dir is not None:
        return settings.prompts_dir
    return DEFAULT_PROMPTS_DIR


def load_prompt(name: str, placeholders: Iterable[str], directory: Path | None = None) -> Prompt:
    """Read ``<directory>/<name>.md`` and check its placeholders equal ``placeholders``."""
    path = (directory or DEFAULT_PROMPTS_DIR) / f"{name}.md"
    try:
        template = path.read_text(encoding="utf-8")
    except OSError as error:
        raise PromptError(
            f"{path}: cannot read prompt file ({error.strerror}); "
            "set BRIEFBOT_PROMPTS_DIR to the directory holding the prompts"
        ) from None
    declared = frozenset(placeholders)
    present = placeholders_in(template, path)
    missing = sorted(declared - present)
    if missing:
        raise PromptError(
            f"{path}: placeholder {{{missing[0]}}} is missing "
            f"(the code fills: {', '.join(sorted(declared))})"
        )
    unknown = sorted(present - declared)
    if unknown:
        raise PromptError(
            f"{path}: unknown placeholder {{{unknown[0]}}} "
            f"(the code fills only: {', '.join(sorted(declared))})"
        )
    return Prompt(name, path, template, declared)


def load_prompts(
    names: Iterable[str] | None = None,
    directory: Path | None = None,
    declared: Mapping[str, frozenset[str]] = DECLARED,
) -> dict[str, Prompt]:
    """Load and check several prompts at once (all declared ones by default)."""
    wanted = list(names) if names is not None else sorted(declared)
    prompts: dict[str, Prompt] = {}
    for name in wanted:
        if name not in declared:
            raise PromptError(f"no placeholders are declared for a prompt named {name!r}")
        prompts[name] = load_prompt(name, declared[name], directory)
    return prompts
