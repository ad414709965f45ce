"""The llama.cpp server runs on every x86-64 machine CI uses, and says so when it dies.

`make install-dev` compiles llama-cpp-python for a baseline (AVX2, FMA, F16C), never with
``-march=native``: a native build made on an AVX-512 machine and handed to another CPU, e.g.
through pip's wheel cache, died with a general protection fault inside ``libggml-cpu.so`` on
its first completion. The libraries are checked by disassembly, so this needs no other CPU.
A server that dies mid-test fails the tests that use it with its exit code and log tail.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import platform
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# AT&T syntax, as objdump prints it. What the baseline (x86-64-v3) must never contain:
BEYOND_BASELINE = {
    # zmm registers, opmask registers %k0-%k7, EVEX-only xmm16-31/ymm16-31
    "AVX-512": re.compile(r"%zmm\d|%k[0-7]\b|%[xy]mm(?:1[6-9]|2\d|3[01])\b"),
    "AMX": re.compile(
        r"\t(?:ldtilecfg|sttilecfg|tilerelease|tilezero|tileloadd\w*|tilestored"
        r"|tdpb[su][su]d|tdpbf16ps|tdpfp16ps)\b"
    ),
    # AVX-VNNI / AVX512-VNNI dot products and BF16 conversions, in any encoding
    "VNNI/BF16": re.compile(
        r"\t(?:\{vex\} )?(?:vpdpbusds?|vpdpwssds?|vdpbf16ps|vcvtne2ps2bf16|vcvtneps2bf16)\b"
    ),
}
AVX2_YMM = re.compile(r"%ymm(?:\d|1[0-5])\b")
x86_64_only = pytest.mark.skipif(
    platform.machine() not in ("x86_64", "AMD64"), reason="the baseline is x86-64-v3"
)


def llama_libraries() -> list[Path]:
    """The shared libraries llama-cpp-python installed (libllama, libggml*, libmtmd)."""
    spec = importlib.util.find_spec("llama_cpp")
    if spec is None or not spec.submodule_search_locations:
        pytest.fail("llama-cpp-python[server] is not installed: run `make install-dev`")
    package = Path(next(iter(spec.submodule_search_locations)))
    unique: dict[bytes, Path] = {}  # pip installs libX.so, libX.so.0, libX.so.0.N as copies
    for path in sorted(package.rglob("*.so*"), key=lambda path: len(path.name)):
        if path.is_file():
            unique.setdefault(hashlib.sha256(path.read_bytes()).digest(), path)
    libraries = sorted(unique.values())
    if not any(path.name.startswith("libggml-cpu") for path in libraries):
        pytest.fail(f"no libggml-cpu*.so under {package}: {[p.name for p in libraries]}")
    return libraries


def disassembly_counts(library: Path, objdump: str) -> tuple[Counter[str], list[str]]:
    """How many instructions of each BEYOND_BASELINE kind (and "ymm", AVX2) ``library``
    holds, streaming objdump's output; and a few of the offending lines."""
    counts: Counter[str] = Counter()
    examples: list[str] = []
    with subprocess.Popen(
        [objdump, "-d", "--no-show-raw-insn", "--no-addresses", str(library)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        for line in process.stdout:
            if not line.startswith("\t"):
                continue  # labels and headers: symbol names, not instructions
            for kind, pattern in BEYOND_BASELINE.items():
                if pattern.search(line):
                    counts[kind] += 1
                    if len(examples) < 5:
                        examples.append(line.strip())
            if AVX2_YMM.search(line):
                counts["ymm"] += 1
        error = process.stderr.read()
    assert process.returncode == 0, f"objdump -d {library} failed: {error}"
    return counts, examples


@x86_64_only
def test_llama_libraries_have_no_avx512_or_amx_instructions() -> None:
    objdump = shutil.which("objdump")
    if objdump is None:
        pytest.skip("objdump is missing (Debian's binutils): cannot disassemble llama.cpp")
    findings: dict[str, tuple[dict[str, int], list[str]]] = {}
    avx2 = 0
    for library in llama_libraries():
        counts, examples = disassembly_counts(library, objdump)
        avx2 += counts.pop("ymm", 0)
        if counts:
            findings[library.name] = (dict(counts), examples)
    assert not findings, (
        "llama.cpp was compiled for a newer CPU than every CI machine has "
        f"(a native or AVX-512 build; rebuild: `rm .venv/.llama-*; make install-dev`): {findings}"
    )
    assert avx2 > 0, "no AVX2 (ymm) instruction at all: the disassembly was not read"


@x86_64_only
def test_llama_reports_the_baseline_features() -> None:
    """ggml's own compile-time feature list agrees: AVX2, FMA, F16C; no AVX-512, no AMX."""
    llama_libraries()
    info = subprocess.run(
        [
            sys.executable,
            "-c",
            "import llama_cpp; print(llama_cpp.llama_print_system_info().decode())",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    features = dict(re.findall(r"(\w+) = (\d+)", info))
    for needed in ("AVX", "AVX2", "FMA", "F16C"):
        assert features.get(needed) == "1", f"{needed} missing: {info}"
    beyond = sorted(k for k, v in features.items() if k.startswith(("AVX512", "AMX")) and v == "1")
    assert not beyond, f"built with {beyond}: {info}"


# A stand-in for a llama.cpp server that dies on its first real request, the way the native
# build did on an AMX machine: readiness probes (connect, send nothing) are answered by closing.
CRASHING_SERVER = """
import os, resource, signal, socket, sys

resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
listener = socket.create_server(("127.0.0.1", int(sys.argv[1])))
print("llama_model_loader: loaded the model, listening", flush=True)
while True:
    connection, _ = listener.accept()
    request = connection.recv(65536)
    if b"/crash" in request:
        print("ggml_compute_forward: general protection fault in libggml-cpu.so", flush=True)
        os.kill(os.getpid(), signal.SIGSEGV)
    connection.close()
"""

INNER_CONFTEST = """
import sys
from pathlib import Path

import pytest

from tests.conftest import pytest_runtest_makereport  # noqa: F401  (the hook under test)
from tests.local_servers import free_port, listening, running, watching


@pytest.fixture(scope="session")
def crashing_server(request, tmp_path_factory):
    port = free_port()
    command = [sys.executable, str(Path(__file__).with_name("crashing_server.py")), str(port)]
    log = tmp_path_factory.mktemp("crashing") / "server.log"
    with (
        running("crashing server", command, log, lambda: listening(port), 30) as server,
        watching(request, server),
    ):
        yield f"http://127.0.0.1:{port}"
"""

INNER_TESTS = """
import httpx


def test_a_failure_while_the_server_runs(crashing_server):
    assert False, "an ordinary failure"


def test_the_request_that_kills_the_server(crashing_server):
    httpx.get(crashing_server + "/crash", timeout=30)


def test_a_request_after_its_death(crashing_server):
    httpx.get(crashing_server + "/models", timeout=30)


def test_an_unrelated_failure():
    assert False, "unrelated to the server"
"""


def test_a_server_that_dies_mid_test_fails_with_its_exit_code_and_log(tmp_path: Path) -> None:
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "crashing_server.py").write_text(CRASHING_SERVER)
    (suite / "conftest.py").write_text(INNER_CONFTEST)
    (suite / "test_inner.py").write_text(INNER_TESTS)
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path, "COLUMNS": "1000"}
    command = [sys.executable, "-m", "pytest", "-q", "-rf", "-p", "no:cacheprovider", "-o"]
    run = subprocess.run(
        [*command, "addopts=", str(suite)],
        cwd=suite,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = run.stdout + run.stderr
    assert "4 failed" in output, output
    summary = {
        line.split("::")[1].split(" ")[0]: line
        for line in output.splitlines()
        if line.startswith("FAILED ")
    }
    assert set(summary) == {
        "test_a_failure_while_the_server_runs",
        "test_the_request_that_kills_the_server",
        "test_a_request_after_its_death",
        "test_an_unrelated_failure",
    }, output
    died = "crashing server (pid "
    for test in ("test_the_request_that_kills_the_server", "test_a_request_after_its_death"):
        assert died in summary[test], output
        assert "exited with exit code -11 (SIGSEGV)" in summary[test], output
    assert "the test saw: httpx.ConnectError" in summary["test_a_request_after_its_death"]
    for test in ("test_a_failure_while_the_server_runs", "test_an_unrelated_failure"):
        assert died not in summary[test], output
    # the log tail is printed in the failures, once for each of the two tests
    assert output.count("general protection fault in libggml-cpu.so") == 2, output
    assert output.count("llama_model_loader: loaded the model") == 2, output
