"""One settings path: every command and the app load settings through ``load_settings``, so a
bad or mistyped variable is one line naming it, never its value, never a traceback."""

from __future__ import annotations

import re
import traceback
from pathlib import Path

import pytest
from pydantic import SecretStr
from typer.testing import CliRunner, Result

from briefbot import Briefbot
from briefbot.cli import app
from briefbot.errors import ConfigError
from briefbot.settings import Settings, env_names, load_settings, redact_userinfo
from briefbot.ui import text as fmt
from tests.fakes import FakeEmbedder

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()

COMMANDS = {
    "ask": ["ask", "how many troops?"],
    "chat": ["chat"],
    "search": ["search", "troops"],
    "brief": ["brief", "--query", "troops"],
    "compare": ["compare", "--query", "troops"],
    "articles": ["articles"],
    "eval brief": ["eval", "brief", "--data", "no-such-data"],
    "eval framing": ["eval", "framing", "--data", "no-such-data"],
}


@pytest.fixture(autouse=True)
def _fake_embedder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRIEFBOT_EMBEDDER", "fake")


def invoke(*args: str) -> Result:
    return runner.invoke(app, list(args), input="")


def everything_shown(result: Result) -> str:
    """Output, error output and any exception that escaped, with its traceback."""
    escaped = ""
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        escaped = "".join(traceback.format_exception(result.exception))
    return result.stdout + result.stderr + escaped


def assert_one_line_error(result: Result, *expected: str) -> str:
    """The command failed with exit 1 and exactly one line on stderr holding ``expected``."""
    assert result.exception is None or isinstance(result.exception, SystemExit), everything_shown(
        result
    )
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    for text in expected:
        assert text in lines[0]
    return lines[0]


def config_error(monkeypatch: pytest.MonkeyPatch, **env: str) -> str:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as raised:
        load_settings()
    message = str(raised.value)
    assert "\n" not in message
    return message


# --- invalid values --------------------------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_names_an_invalid_setting_in_one_line(
    command: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BRIEFBOT_TOP_K", "not-a-number-7f3")
    result = invoke(*COMMANDS[command])
    line = assert_one_line_error(result, "BRIEFBOT_TOP_K")
    assert "not-a-number-7f3" not in everything_shown(result)
    assert "Traceback" not in line and "pydantic" not in line


@pytest.mark.parametrize("command", ["ask", "chat", "articles"])
def test_a_secret_bearing_invalid_value_is_never_shown(
    command: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BRIEFBOT_FETCH_PROXY", "http://reporter:SECRET-9d1@proxy.example:port")
    result = invoke(*COMMANDS[command])
    assert_one_line_error(result, "BRIEFBOT_FETCH_PROXY")
    assert "SECRET-9d1" not in everything_shown(result)
    debug = invoke("--debug", *COMMANDS[command])  # the traceback asked for: still no secret
    assert isinstance(debug.exception, ConfigError)
    assert "SECRET-9d1" not in everything_shown(debug)


def test_briefbot_open_without_settings_loads_them_the_one_way(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BRIEFBOT_TOP_K", "zero")
    with pytest.raises(ConfigError, match="BRIEFBOT_TOP_K"):
        Briefbot.open(embedder=FakeEmbedder())


@pytest.mark.parametrize(
    ("variable", "other"),
    [("OPENAI_BASE_URL", "BRIEFBOT_OPENAI_BASE_URL"), ("BRIEFBOT_OPENAI_BASE_URL", None)],
)
def test_an_aliased_setting_is_named_as_the_user_set_it(
    variable: str, other: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    message = config_error(monkeypatch, **{variable: "ftp://bob:hunter2@llm.example/v1"})
    assert message.startswith(f"invalid setting: {variable}: ")
    assert other is None or other not in message
    assert "hunter2" not in message


def test_an_aliased_setting_set_in_dotenv_is_named_as_written_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("BRIEFBOT_OPENAI_BASE_URL=localhost:11434\n")
    assert "BRIEFBOT_OPENAI_BASE_URL: " in config_error(monkeypatch)


# --- unknown keys ----------------------------------------------------------------------


def test_an_unknown_variable_names_the_nearest_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    message = config_error(monkeypatch, BRIEFBOT_TOPK="3")
    assert "unknown setting BRIEFBOT_TOPK (did you mean BRIEFBOT_TOP_K?)" in message
    assert "the environment" in message
    assert_one_line_error(invoke("search", "troops"), "BRIEFBOT_TOPK", "BRIEFBOT_TOP_K")


def test_an_unknown_key_in_dotenv_names_the_nearest_and_others_tools_keys_are_left_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    dotenv = tmp_path / ".env"
    others = "FOO=1\nDATABASE_URL=postgres://u:p@db/x\nOPENAI_BASE_URL=http://127.0.0.1:9/v1\n"
    dotenv.write_text(f"{others}BRIEFBOT_RELEVANCE_FLOR=0.2\n")
    message = config_error(monkeypatch)
    assert message == (
        "unknown setting BRIEFBOT_RELEVANCE_FLOR (did you mean BRIEFBOT_RELEVANCE_FLOOR?) in .env"
    )
    assert_one_line_error(invoke("ask", "troops?"), "BRIEFBOT_RELEVANCE_FLOR")

    dotenv.write_text(f"{others}briefbot_relevance_floor=0.2\n")  # case does not matter
    settings = load_settings()
    assert settings.relevance_floor == 0.2
    assert settings.openai_base_url == "http://127.0.0.1:9/v1"


def test_an_unknown_variable_without_a_near_setting_points_at_the_example(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    message = config_error(monkeypatch, BRIEFBOT_XYZZY="1")
    assert message == "unknown setting BRIEFBOT_XYZZY (see .env.example) in the environment"


def test_every_briefbot_variable_the_project_mentions_is_a_setting() -> None:
    """Docs, the Makefile, CI, benchmarks, sources and tests set or name only real settings
    (an unknown BRIEFBOT_* variable is now an error, so a typo there would break a command)."""
    valid = {name for field in Settings.model_fields for name in env_names(field)}
    places = [ROOT / ".env.example", ROOT / "README.md", ROOT / "Makefile", ROOT / "app.py"]
    for folder in ("docs", ".ci", "benchmarks", "src", "app_pages", "tests"):
        places += [p for p in (ROOT / folder).rglob("*") if p.is_file()]
    mentioned: dict[str, Path] = {}
    for path in places:
        if path.parent == Path(__file__).parent or path.suffix in (".pyc", ".jsonl", ".csv"):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for name in re.findall(r"BRIEFBOT_[A-Z0-9_]*[A-Z0-9]", text):
            mentioned.setdefault(name, path)
    unknown = {name: str(path) for name, path in mentioned.items() if name not in valid}
    assert not unknown
    assert "BRIEFBOT_TOP_K" in mentioned


def test_env_example_lists_only_settings() -> None:
    """The reverse of the foundation test: no key of .env.example is a typo."""
    valid = {name for field in Settings.model_fields for name in env_names(field)}
    keys = re.findall(r"^#? ?([A-Z][A-Z0-9_]*)=", (ROOT / ".env.example").read_text(), re.M)
    assert keys and set(keys) <= valid
    assert len(keys) == len(set(keys)) + 1  # FETCH_ALLOWED_HOSTS: an example, then its default


# --- bounds ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("BRIEFBOT_RELEVANCE_FLOOR", "5"),
        ("BRIEFBOT_RELEVANCE_FLOOR", "nan"),
        ("BRIEFBOT_RELEVANCE_FLOOR", "-0.5"),
        ("BRIEFBOT_BRIEF_ARTICLE_FLOOR", "1.5"),
        ("BRIEFBOT_FETCH_MAX_REDIRECTS", "1000"),
        ("BRIEFBOT_RECENCY_WEIGHT", "inf"),
        ("BRIEFBOT_RECENCY_HALF_LIFE_DAYS", "infinity"),
        ("BRIEFBOT_LLM_TIMEOUT_S", "inf"),
        ("BRIEFBOT_LLM_TIMEOUT_S", "1e12"),
        ("BRIEFBOT_FETCH_TIMEOUT_S", "inf"),
        ("BRIEFBOT_LLM_BACKOFF_MAX_S", "1e300"),
        ("BRIEFBOT_LLM_MAX_RETRIES", "1000"),
        ("BRIEFBOT_LLM_PRICES", '{"my-model": [0.15, -1]}'),
        ("BRIEFBOT_LLM_PRICES", '{"my-model": [NaN, 0.6]}'),
    ],
)
def test_out_of_bounds_and_non_finite_numbers_are_rejected(
    variable: str, value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    message = config_error(monkeypatch, **{variable: value})
    assert message.startswith(f"invalid setting: {variable}: ")


def test_a_refusing_relevance_floor_stops_ask_before_it_refuses_everything(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BRIEFBOT_RELEVANCE_FLOOR", "5")
    assert_one_line_error(invoke("ask", "how many troops?"), "BRIEFBOT_RELEVANCE_FLOOR")


def test_bounds_keep_the_defaults_and_the_edges(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings() == Settings()
    monkeypatch.setenv("BRIEFBOT_RELEVANCE_FLOOR", "0")
    monkeypatch.setenv("BRIEFBOT_BRIEF_ARTICLE_FLOOR", "1")
    monkeypatch.setenv("BRIEFBOT_LLM_TIMEOUT_S", "600")
    settings = load_settings()
    assert (settings.relevance_floor, settings.brief_article_floor) == (0, 1)


# --- JSON settings ---------------------------------------------------------------------


@pytest.mark.parametrize("variable", ["BRIEFBOT_FETCH_ALLOWED_HOSTS", "BRIEFBOT_LLM_PRICES"])
@pytest.mark.parametrize("value", ["[news.intranet:8080", "{'m': [1, 2]}", "not json"])
def test_malformed_json_is_one_line_naming_the_variable(
    variable: str, value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    message = config_error(monkeypatch, **{variable: value})
    assert message.startswith(f"invalid setting: {variable}: not valid JSON")
    assert value not in message
    result = invoke("articles")
    assert_one_line_error(result, variable, "not valid JSON")
    assert value not in result.stderr


def test_malformed_json_in_dotenv_is_named_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("BRIEFBOT_LLM_PRICES={gpt: 1}\n")
    assert config_error(monkeypatch).startswith("invalid setting: BRIEFBOT_LLM_PRICES: not valid")


def test_json_settings_still_parse_and_blank_means_the_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BRIEFBOT_FETCH_ALLOWED_HOSTS", '["news.intranet:8080"]')
    monkeypatch.setenv("BRIEFBOT_LLM_PRICES", '{"my-model": [0.15, 0.6]}')
    settings = load_settings()
    assert settings.fetch_allowed_hosts == ["news.intranet:8080"]
    assert settings.llm_prices == {"my-model": (0.15, 0.6)}
    monkeypatch.setenv("BRIEFBOT_FETCH_ALLOWED_HOSTS", "")
    monkeypatch.setenv("BRIEFBOT_LLM_PRICES", " ")
    settings = load_settings()
    assert settings.fetch_allowed_hosts == [] and settings.llm_prices == {}


# --- URLs with user-info ---------------------------------------------------------------


def test_engine_label_and_links_never_show_url_credentials() -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        openai_api_key=SecretStr("sk-very-secret"),
        openai_base_url="http://user:sk-in-url-secret@127.0.0.1:8080/v1",
        llm_model="smollm2",
    )
    assert fmt.engine_label(settings) == "LLM: smollm2 at http://127.0.0.1:8080/v1"
    assert fmt.safe_url("https://u:p%40ss@news.example:8443/a?b=1#c") == (
        "https://news.example:8443/a?b=1#c"
    )
    assert fmt.safe_url("http://user@news.example/a") == "http://news.example/a"
    assert fmt.safe_url("https://news.example/a@b") == "https://news.example/a@b"
    assert fmt.safe_url("javascript://u:p@x/alert(1)") is None
    assert "sk-in-url-secret" not in repr(settings) and "sk-very-secret" not in repr(settings)


def test_the_store_location_and_messages_never_show_url_credentials() -> None:
    settings = Settings(_env_file=None, chroma_url="https://ops:pw-9d1@chroma.internal:8443")  # type: ignore[call-arg]
    assert settings.store_location == "https://chroma.internal:8443"
    assert "pw-9d1" not in repr(settings)
    assert redact_userinfo("at 'http://a:b@h:1/x' and https://c@d/e, mail x@y.z") == (
        "at 'http://h:1/x' and https://d/e, mail x@y.z"
    )


def test_a_store_url_with_credentials_is_not_echoed_in_errors() -> None:
    result = invoke("articles", "--store", "http://user:pw-SECRET-9d1@127.0.0.1:9")
    assert_one_line_error(result, "http://127.0.0.1:9")
    assert "pw-SECRET-9d1" not in everything_shown(result)
