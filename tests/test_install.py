"""What each job installs: ``pip install .`` brings what verify, collect, render, check,
schema and init need, and not moto; ``reporter demo`` without the ``demo`` extra says how
to install it, in one line.

Instead of installing into a fresh venv (slow, and it needs the network), the tests read
the installed metadata: the distributions ``pip install .`` would bring are the closure of
``reporter``'s requirements without extras. Commands then run in a child process where
every module of any other installed distribution (moto, flask, pytest...) fails to import,
as it would in that fresh venv.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from reporter.render.json import dump_bundle
from tests.render.conftest import judged, make_not_deployed
from tests.specs import VERIFIED_SPEC

ROOT = Path(__file__).resolve().parent.parent
NOW = "2025-11-26T10:50:00Z"
DEMO_ONLY = {"moto", "flask", "flask-cors"}
"""Distributions only the demo needs (moto's server)."""


def closure(name: str, extras: frozenset[str] = frozenset()) -> set[str]:
    """Every distribution installing ``name[extras]`` brings, from the installed metadata."""
    seen: set[str] = set()
    todo: list[tuple[str, frozenset[str]]] = [(name, extras)]
    while todo:
        current, wanted = todo.pop()
        key = canonicalize_name(current)
        if (key in seen and not wanted) or key == "":
            continue
        seen.add(key)
        try:
            requirements = metadata.requires(current) or []
        except metadata.PackageNotFoundError:
            continue
        for line in requirements:
            requirement = Requirement(line)
            marker = requirement.marker
            applies = marker is None or any(
                marker.evaluate({"extra": extra}) for extra in ("", *wanted)
            )
            if applies:
                todo.append((requirement.name, frozenset(requirement.extras)))
    return seen


def test_pyproject_keeps_moto_out_of_the_runtime_dependencies() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime = {canonicalize_name(Requirement(r).name) for r in project["dependencies"]}
    assert not runtime & DEMO_ONLY
    demo = {Requirement(r).name: Requirement(r) for r in project["optional-dependencies"]["demo"]}
    assert demo["moto"].extras == {"server"}
    dev = {Requirement(r).name for r in project["optional-dependencies"]["dev"]}
    assert "moto" in dev  # the tests run the emulator


def test_pip_install_dot_brings_no_moto() -> None:
    runtime = closure("reporter")
    assert {"boto3", "typer", "rich", "weasyprint", "pydantic", "jinja2"} <= runtime
    assert not runtime & DEMO_ONLY, runtime & DEMO_ONLY
    with_demo = closure("reporter", frozenset({"demo"}))
    assert with_demo >= DEMO_ONLY


_BLOCKER = """\
import contextlib, io, json, sys
from importlib.abc import MetaPathFinder

BLOCKED = frozenset(sys.argv[1].split(","))


class NotInstalled(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, NotInstalled())
from reporter.cli import main

results = []
for args in json.loads(sys.argv[2]):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(args)
    results.append({"code": code, "out": out.getvalue(), "err": err.getvalue()})
print(json.dumps(results))
"""
"""Runs ``reporter`` commands one after the other in one process (one start-up for all),
with every module of ``sys.argv[1]`` unimportable; prints each one's exit code and
output as JSON."""


def _blocked_modules() -> list[str]:
    """Top-level modules of every installed distribution ``pip install .`` would not bring."""
    runtime = closure("reporter")
    blocked = {
        module
        for module, dists in metadata.packages_distributions().items()
        if not {canonicalize_name(d) for d in dists} & runtime and module.isidentifier()
    }
    assert {"moto", "flask", "pytest"} <= blocked
    return sorted(blocked)


@pytest.fixture(scope="module")
def blocked() -> list[str]:
    return _blocked_modules()


def _run(blocked: list[str], cwd: Path, *commands: list[str]) -> list[dict[str, Any]]:
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    env.pop("AWS_PROFILE", None)
    env.pop("PYTHONPATH", None)
    done = subprocess.run(
        [sys.executable, "-c", _BLOCKER, ",".join(blocked), json.dumps(list(commands))],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    results: list[dict[str, Any]] = json.loads(done.stdout)
    return results


def test_every_command_but_demo_runs_without_the_demo_extra(
    tmp_path: Path, seeded: str, blocked: list[str]
) -> None:
    spec = tmp_path / "hotfix.toml"
    spec.write_text(VERIFIED_SPEC.format(endpoint=seeded), encoding="utf-8")
    bundle = tmp_path / "made.json"
    bundle.write_bytes(dump_bundle(judged(make_not_deployed())))
    every = ["-f", "md", "-f", "pdf", "-f", "html", "-f", "json", "-f", "junit"]
    verify, collect, render, check, schema, init = _run(
        blocked,
        tmp_path,
        ["verify", str(spec), "--now", NOW, "-o", "out", *every],
        ["collect", str(spec), "--now", NOW, "-o", "b/bundle.json"],
        ["render", str(bundle), "-o", "rendered", "-f", "md", "-f", "html", "-f", "junit"],
        ["check", str(spec)],
        ["schema"],
        ["init", "new.toml"],
    )
    for result in (verify, collect, render, check, schema, init):
        assert result["code"] == 0, result
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "hotfix.html", "hotfix.json", "hotfix.junit.xml", "hotfix.md", "hotfix.pdf",
    ]  # fmt: skip
    assert json.loads((tmp_path / "b" / "bundle.json").read_text("utf-8"))["verdict"] == "VERIFIED"
    assert len(list((tmp_path / "rendered").iterdir())) == 3
    assert json.loads(schema["out"])["type"] == "object"
    assert (tmp_path / "new.toml").is_file()


def test_demo_without_the_demo_extra_says_how_to_install_it(
    tmp_path: Path, blocked: list[str]
) -> None:
    (demo,) = _run(blocked, tmp_path, ["demo", "-o", "out"])
    assert demo["code"] == 2
    assert demo["out"] == ""
    assert demo["err"].count("\n") == 1
    assert demo["err"].startswith("reporter: error: reporter demo: needs moto's server")
    assert demo["err"].rstrip().endswith("pip install 'reporter[demo]'")
    assert not (tmp_path / "out").exists()
