"""The files under ci/ and a reader for the ``rvwheels`` commands they run."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ruamel.yaml import YAML

PROJECT = Path(__file__).resolve().parents[2]
CI_DIR = PROJECT / "ci"
WORKFLOWS = {path.name: path for path in sorted((CI_DIR / "github").glob("*.yml"))}
CROSS_WORKFLOW = "riscv64-wheels.yml"
NATIVE_WORKFLOW = "riscv64-wheels-native.yml"
RUN_SCRIPT = CI_DIR / "run-riscv64.sh"
PLAN_OUTPUTS = CI_DIR / "plan_outputs.py"
LEVEL_JOB = re.compile(r"^level-(\d+)$")

# `rvwheels COMMAND` as a word, also as a path (.venv/bin/rvwheels), never rvwheels/… or
# rvwheels_cmd; a command ends at the next shell separator.
_INVOCATION = re.compile(r"(?:^|(?<=[\s/(]))rvwheels[ \t]+([a-z][a-z-]*)(?P<rest>.*)")
_SEPARATOR = re.compile(r"&&|\|\||;|\|")
_OPTION = re.compile(r"(?<![\w-])--([a-z][a-z0-9-]*)(?:[ =]([A-Za-z0-9_.][A-Za-z0-9_.-]*))?")


@dataclass(frozen=True, kw_only=True)
class Invocation:
    """One ``rvwheels COMMAND --option …`` found in a file; literal option values kept."""

    command: str
    options: tuple[str, ...]
    values: tuple[tuple[str, str], ...]  # (option, literal value) where the value is a word


def load_workflow(name: str) -> dict:
    return YAML(typ="safe", pure=True).load(WORKFLOWS[name].read_text())


def run_blocks(workflow: dict) -> list[str]:
    """The shell of every ``run:`` step of every job."""
    return [
        step["run"]
        for job in workflow["jobs"].values()
        for step in job.get("steps", [])
        if "run" in step
    ]


def logical_lines(shell: str) -> list[str]:
    """Lines with backslash continuations joined and comment lines dropped."""
    joined = re.sub(r"\\\n", " ", shell)
    return [line for line in joined.splitlines() if not line.lstrip().startswith("#")]


def find_invocations(shell: str) -> list[Invocation]:
    found = []
    commands = (part for line in logical_lines(shell) for part in _SEPARATOR.split(line))
    for command in commands:
        for match in _INVOCATION.finditer(command):
            options = _OPTION.findall(match["rest"])
            found.append(
                Invocation(
                    command=match[1],
                    options=tuple(f"--{name}" for name, _ in options),
                    values=tuple((f"--{name}", value) for name, value in options if value),
                )
            )
    return found


def shell_sources() -> dict[str, str]:
    """Every file's shell that CI runs: each workflow's run steps, and ci/run-riscv64.sh."""
    sources = {name: "\n".join(run_blocks(load_workflow(name))) for name in WORKFLOWS}
    sources[RUN_SCRIPT.name] = RUN_SCRIPT.read_text()
    return sources


def level_jobs(workflow: dict) -> list[str]:
    """The level-N job names, ordered by N."""
    names = [name for name in workflow["jobs"] if LEVEL_JOB.match(name)]
    return sorted(names, key=lambda name: int(LEVEL_JOB.match(name)[1]))


def needs(job: dict) -> list[str]:
    value = job.get("needs", [])
    return [value] if isinstance(value, str) else list(value)
