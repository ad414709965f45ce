"""Settings come from BRIEFBOT_* variables and .env; .env.example documents every one."""

from __future__ import annotations

from pathlib import Path

import pytest

from briefbot.settings import Settings
from tests.conftest import ROOT


def env_names(name: str) -> set[str]:
    field = Settings.model_fields[name]
    alias = field.validation_alias
    if alias is not None and hasattr(alias, "choices"):
        return {str(choice) for choice in alias.choices}
    return {f"BRIEFBOT_{name.upper()}"}


def test_env_example_lists_and_explains_every_setting() -> None:
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    lines = example.splitlines()
    for name in Settings.model_fields:
        names = env_names(name)
        found = [i for i, line in enumerate(lines) if any(f"{n}=" in line for n in names)]
        assert found, f".env.example does not list {sorted(names)}"
        assert lines[found[0] - 1].startswith("#"), f"{name} has no explanation above it"


def test_env_prefix_and_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text("BRIEFBOT_TOP_K=9\nOPENAI_API_KEY=sk-from-dotenv\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BRIEFBOT_EMBED_BATCH_SIZE", "7")
    settings = Settings()
    assert settings.top_k == 9 and settings.embed_batch_size == 7
    assert settings.openai_api_key is not None
    assert "sk-from-dotenv" not in repr(settings)
    assert settings.llm_configured


def test_invalid_value_names_the_field(monkeypatch: pytest.MonkeyPatch) -> None:
    from pydantic import ValidationError

    monkeypatch.setenv("BRIEFBOT_TOP_K", "zero")
    with pytest.raises(ValidationError, match="top_k"):
        Settings(_env_file=None)  # type: ignore[call-arg]
