"""The package says what it is, and its sdist holds everything its tests need.

The slow test builds the sdist and the wheel, installs the wheel into a fresh venv
and runs part of the suite from the unpacked sdist against it.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tarfile
import zipfile
from importlib import metadata
from pathlib import Path
from typing import Dict, List

import pytest

import smtpd_compat
from smtpd_compat._version import VERSION

ROOT = Path(__file__).parents[1]
PYTHONS = ["3.8", "3.9", "3.10", "3.11", "3.12", "3.13"]
BUILD_TIMEOUT = 300


def installed_metadata() -> metadata.PackageMetadata:
    return metadata.metadata("smtpd-compat")


def test_one_source_for_the_version() -> None:
    assert installed_metadata()["Version"] == VERSION
    assert re.fullmatch(r"\d+\.\d+\.\d+", VERSION)
    # the legacy name keeps the legacy banner text
    assert smtpd_compat.__version__ == "Python SMTP proxy version 0.3"


def test_licence_in_spdx_form_with_its_files() -> None:
    meta = installed_metadata()
    assert meta["License-Expression"] == "MIT AND PSF-2.0"
    assert meta.get_all("License-File") == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text()
    assert "MIT License" in text
    assert "PYTHON SOFTWARE FOUNDATION LICENSE VERSION 2" in text
    assert "Python Software Foundation;\nAll Rights Reserved" in text


def test_classifiers_name_each_tested_python_and_typed() -> None:
    classifiers = installed_metadata().get_all("Classifier") or []
    declared = [c.rsplit(" :: ", 1)[1] for c in classifiers if re.search(r":: 3\.\d+$", c)]
    assert declared == PYTHONS
    assert "Typing :: Typed" in classifiers
    assert (ROOT / "src" / "smtpd_compat" / "py.typed").exists()
    tox_envs = re.search(r"env_list = (.*)", (ROOT / "tox.ini").read_text())
    assert tox_envs is not None
    # in any order (py313, the longest job, goes first)
    assert sorted("py" + v.replace(".", "") for v in PYTHONS) == sorted(
        env for env in tox_envs.group(1).replace(",", " ").split() if env.startswith("py")
    )


def test_project_urls() -> None:
    urls = dict(url.split(", ", 1) for url in installed_metadata().get_all("Project-URL") or [])
    assert set(urls) >= {"Source", "Documentation", "Changelog", "Issues"}


def declared_lower_bounds() -> Dict[str, str]:
    """``name>=X`` of every dependency and extra in pyproject.toml (without tools)."""
    text = (ROOT / "pyproject.toml").read_text()
    project = text[text.index("[project]") : text.index("[project.entry-points")]
    test_extra = project.index("test = [")
    runtime = project[:test_extra]
    return dict(re.findall(r'"([A-Za-z0-9_.-]+)>=([0-9.]+)', runtime))


def test_lowest_constraints_are_the_declared_lower_bounds() -> None:
    lines = (ROOT / "tests" / "constraints-lowest.txt").read_text().splitlines()
    pins = dict(line.split("==") for line in lines if line and not line.startswith("#"))
    bounds = declared_lower_bounds()
    assert set(bounds) == {"aiosmtpd", "pyasyncore", "pyasynchat", "bcrypt", "libcst"}
    assert {name: version for name, version in pins.items()} == {
        name: version + ".0" * (2 - version.count(".")) for name, version in bounds.items()
    }
    tox = (ROOT / "tox.ini").read_text()
    assert "[testenv:lowest]" in tox and "constraints-lowest.txt" in tox
    assert re.search(r"env_list = .*\blowest\b", tox)


def run(args: List[str], cwd: Path, timeout: float = BUILD_TIMEOUT) -> str:
    result = subprocess.run(args, cwd=str(cwd), capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


# Files of the tests themselves, read from the unpacked sdist.
SDIST_MUST_HOLD = [
    "LICENSE",
    "README.md",
    "migration_guide.md",
    "CHANGELOG.md",
    "tox.ini",
    "pyproject.toml",
    "src/smtpd_compat/py.typed",
    "tests/conftest.py",
    "tests/smtp_helpers.py",
    "tests/constraints-lowest.txt",
    "tests/codemod/before_after.py",
    "tests/codemod/programs/_record.py",
    "bench/run.py",
    ".pre-commit-hooks.yaml",
]
SUITE_FROM_SDIST = [
    "tests/test_surface.py",
    "tests/test_migration_guide.py",
    "tests/test_command_line.py::test_help_states_the_defaults_and_the_environment",
    "tests/test_pytest_plugin.py::test_the_plugin_is_installed_as_an_entry_point",
    "tests/test_pytest_plugin.py::test_sink_records_sender_recipients_raw_and_parsed_message",
    "tests/test_packaging.py::test_one_source_for_the_version",
    "tests/test_packaging.py::test_licence_in_spdx_form_with_its_files",
]


@pytest.mark.slow
def test_build_then_run_the_suite_from_the_sdist(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    run([sys.executable, "-m", "build", "--no-isolation", "-o", str(dist), str(ROOT)], ROOT)
    [sdist], [wheel] = sorted(dist.glob("*.tar.gz")), sorted(dist.glob("*.whl"))
    assert sdist.name == "smtpd_compat-%s.tar.gz" % VERSION
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    assert "smtpd_compat/py.typed" in names and "smtpd_compat/pytest_plugin.py" in names
    assert "smtpd_compat-%s.dist-info/licenses/LICENSE" % VERSION in names
    assert not [name for name in names if name.startswith("tests/")]

    with tarfile.open(str(sdist)) as archive:
        if hasattr(tarfile, "data_filter"):  # 3.12+, and security backports
            archive.extractall(str(tmp_path), filter="data")
        else:
            archive.extractall(str(tmp_path))
    source = tmp_path / sdist.name[: -len(".tar.gz")]
    assert [name for name in SDIST_MUST_HOLD if not (source / name).exists()] == []
    assert not list(source.rglob("__pycache__"))

    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", str(venv)], tmp_path)
    python = str(venv / "bin" / "python")
    run([python, "-m", "pip", "install", "-q", "%s[test,codemod]" % wheel], tmp_path)
    output = run(
        [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", *SUITE_FROM_SDIST], source
    )
    assert re.search(r"\d+ passed", output), output
    assert "failed" not in output and "error" not in output
