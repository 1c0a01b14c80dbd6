"""The GitHub workflows under ci/github/ and the shell CI runs: valid for GitHub's schema, every
``rvwheels`` command and option they use exists, and the level jobs depend on each other."""

from __future__ import annotations

import re
import subprocess
import sys

import click
import pytest

from rvwheels.cli import cli

from ._ci_files import (
    CROSS_WORKFLOW,
    NATIVE_WORKFLOW,
    PROJECT,
    WORKFLOWS,
    find_invocations,
    level_jobs,
    load_workflow,
    needs,
    run_blocks,
    shell_sources,
)

PIPELINE_COMMANDS = {"plan", "build", "merge", "verify"}
PINNED_MAJOR = {
    "actions/checkout": "v4",
    "actions/cache": "v4",
    "actions/cache/restore": "v4",
    "actions/cache/save": "v4",
    "actions/upload-artifact": "v4",
    "actions/download-artifact": "v4",
}


def check_jsonschema(path) -> subprocess.CompletedProcess:
    # The schema is vendored in check-jsonschema (test extra), so this runs offline.
    argv = [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows"]
    return subprocess.run(
        [*argv, str(path)], capture_output=True, text=True, timeout=120, check=False
    )


# -- schema --------------------------------------------------------------------------------------


def test_both_workflows_are_there():
    assert set(WORKFLOWS) == {CROSS_WORKFLOW, NATIVE_WORKFLOW}


@pytest.mark.parametrize("name", sorted(WORKFLOWS))
def test_workflow_matches_githubs_schema(name):
    result = check_jsonschema(WORKFLOWS[name])
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_broken_workflow_fails_the_schema(tmp_path):
    text = WORKFLOWS[CROSS_WORKFLOW].read_text()
    # merge-verify loses its required runs-on and gains a key GitHub does not know.
    broken = re.sub(r"(\n  merge-verify:\n(?:    .*\n)*?)    runs-on:", r"\1    runs_on:", text)
    assert broken != text
    copy = tmp_path / CROSS_WORKFLOW
    copy.write_text(broken)
    result = check_jsonschema(copy)
    assert result.returncode != 0
    assert "merge-verify" in result.stdout + result.stderr


# -- rvwheels commands and options ---------------------------------------------------------------


def _cases():
    for source, shell in shell_sources().items():
        by_command: dict[str, list] = {}
        for invocation in find_invocations(shell):
            by_command.setdefault(invocation.command, []).append(invocation)
        for command, invocations in sorted(by_command.items()):
            marks = []
            if command == "verify" and "verify" not in cli.commands:
                reason = "rvwheels verify is still being written; CI already runs it"
                marks = [pytest.mark.xfail(reason=reason, strict=True)]
            yield pytest.param(command, invocations, id=f"{source}-{command}", marks=marks)


def _option_params(command: click.Command) -> dict[str, click.Option]:
    return {
        name: param
        for param in command.params
        if isinstance(param, click.Option)
        for name in (*param.opts, *param.secondary_opts)
    }


@pytest.mark.parametrize(("command", "invocations"), list(_cases()))
def test_ci_runs_only_commands_and_options_the_cli_has(command, invocations):
    assert command in cli.commands, f"rvwheels has no command {command!r}"
    params = _option_params(cli.commands[command])
    for invocation in invocations:
        unknown = [option for option in invocation.options if option not in params]
        assert not unknown, f"rvwheels {command} has no option {', '.join(unknown)}"
        for option, value in invocation.values:
            if isinstance(params[option].type, click.Choice):
                assert value in params[option].type.choices, f"{option} {value}"


@pytest.mark.parametrize("source", sorted(shell_sources()))
def test_each_file_runs_the_whole_pipeline(source):
    commands = {i.command for i in find_invocations(shell_sources()[source])}
    assert commands >= PIPELINE_COMMANDS
    if source != CROSS_WORKFLOW:  # native mode and the script check the machine first
        assert "doctor" in commands


def test_the_reader_finds_commands_options_and_literal_values():
    shell = (
        "# rvwheels list --ignored-in-comments\n"
        'sudo .venv/bin/rvwheels build "$PKG" --mode cross \\\n'
        "    --wheelhouse wheelhouse && rvwheels merge a --wheelhouse=b | tee log\n"
        "cp ~/.cache/rvwheels/roots x; rvwheels_cmd=(rvwheels); rvwheels plan --all --json\n"
        'rvwheels verify ${MODE:+--mode "$MODE"}\n'
    )
    found = [(i.command, i.options, i.values) for i in find_invocations(shell)]
    assert found == [
        (
            "build",
            ("--mode", "--wheelhouse"),
            (("--mode", "cross"), ("--wheelhouse", "wheelhouse")),
        ),
        ("merge", ("--wheelhouse",), (("--wheelhouse", "b"),)),
        ("plan", ("--all", "--json"), ()),
        ("verify", ("--mode",), ()),
    ]


# -- jobs ----------------------------------------------------------------------------------------


@pytest.fixture(params=sorted(WORKFLOWS))
def workflow(request) -> dict:
    return load_workflow(request.param)


def _plan_level_jobs(workflow: dict) -> int:
    steps = " ".join(run_blocks({"jobs": {"plan": workflow["jobs"]["plan"]}}))
    match = re.search(r"ci/plan_outputs\.py --github (\d+)", steps)
    assert match, "the plan job must turn the plan into outputs with ci/plan_outputs.py"
    return int(match[1])


def test_there_is_one_level_job_per_plan_output(workflow):
    levels = level_jobs(workflow)
    assert levels == [f"level-{n}" for n in range(len(levels))]
    assert len(levels) == _plan_level_jobs(workflow) >= 2
    outputs = set(workflow["jobs"]["plan"]["outputs"])
    assert outputs == {"count", *(f"level{n}" for n in range(len(levels)))}


def test_each_level_needs_the_one_before(workflow):
    for number, name in enumerate(level_jobs(workflow)):
        job = workflow["jobs"][name]
        expected = {"plan"} if number == 0 else {"plan", f"level-{number - 1}"}
        assert set(needs(job)) == expected, name
        assert re.fullmatch(rf"fromJSON\(needs\.plan\.outputs\.count\) > {number}", job["if"])
        matrix = job["strategy"]["matrix"]["package"]
        assert matrix == f"${{{{ fromJSON(needs.plan.outputs.level{number}) }}}}"
        assert job["strategy"]["fail-fast"] is False


def test_merge_verify_needs_every_level_and_survives_skipped_ones(workflow):
    job = workflow["jobs"]["merge-verify"]
    assert set(needs(job)) == {"plan", *level_jobs(workflow)}
    # Without a status function a skipped level (a short plan) would skip merge-verify too.
    assert "!cancelled()" in job["if"]
    assert "contains(needs.*.result, 'failure')" in job["if"]


def _without_earlier_levels(steps: list[dict]) -> list[dict]:
    return [
        s
        for s in steps
        if not str(s.get("uses", "")).startswith("actions/download-artifact")
        and not str(s.get("name", "")).startswith("Merge them")
    ]


def test_level_jobs_run_the_same_steps(workflow):
    names = level_jobs(workflow)
    first = workflow["jobs"][names[0]]["steps"]
    assert _without_earlier_levels(first) == first, "level-0 has no earlier levels"
    for name in names[1:]:
        steps = workflow["jobs"][name]["steps"]
        assert _without_earlier_levels(steps) == first, f"{name} drifted from {names[0]}"
        downloads = [s for s in steps if s not in first]
        assert downloads[0]["with"]["pattern"] == "wheelhouse-*"
        assert steps.index(downloads[-1]) < _index_of_build(steps)


def _index_of_build(steps: list[dict]) -> int:
    return next(i for i, s in enumerate(steps) if " build " in s.get("run", ""))


def test_artifacts_flow_from_levels_to_merge_verify(workflow):
    level = workflow["jobs"]["level-0"]["steps"]
    uploads = [s["with"]["name"] for s in level if "upload-artifact" in s.get("uses", "")]
    assert "wheelhouse-${{ matrix.package }}" in uploads
    final = workflow["jobs"]["merge-verify"]["steps"]
    downloads = [s["with"] for s in final if "download-artifact" in s.get("uses", "")]
    assert downloads == [{"pattern": "wheelhouse-*", "path": "artifacts"}]
    assert any(s.get("with", {}).get("name") == "wheelhouse" for s in final)


def _actions(workflow: dict) -> list[str]:
    return [s["uses"] for job in workflow["jobs"].values() for s in job["steps"] if "uses" in s]


def test_every_action_is_pinned_by_major_version(workflow):
    for reference in _actions(workflow):
        action, _, version = reference.partition("@")
        assert re.fullmatch(r"v\d+", version), reference
        assert PINNED_MAJOR.get(action, version) == version, reference


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (CROSS_WORKFLOW, set(PINNED_MAJOR)),
        (NATIVE_WORKFLOW, set(PINNED_MAJOR) - {"actions/cache/restore", "actions/cache/save"}),
    ],
)
def test_workflows_use_checkout_cache_and_artifacts(name, expected):
    used = {reference.partition("@")[0] for reference in _actions(load_workflow(name))}
    assert used >= expected


def test_runners_and_modes():
    for name, runner, mode in (
        (CROSS_WORKFLOW, "ubuntu-24.04", "cross"),
        (NATIVE_WORKFLOW, ["self-hosted", "linux", "riscv64"], "native"),
    ):
        workflow = load_workflow(name)
        assert all(job["runs-on"] == runner for job in workflow["jobs"].values()), name
        builds = [
            i
            for i in find_invocations("\n".join(run_blocks(workflow)))
            if i.command in ("build", "verify")
        ]
        assert builds and all(("--mode", mode) in i.values for i in builds), name


def test_cache_keys_hash_files_that_exist(workflow):
    patterns = re.findall(r"hashFiles\('([^']+)'\)", str(workflow))
    assert patterns
    for pattern in patterns:
        assert list(PROJECT.glob(pattern)), f"hashFiles('{pattern}') matches nothing"


def test_roots_are_cached_as_one_tarball_keyed_by_the_root_lists():
    for name in (*level_jobs(load_workflow(CROSS_WORKFLOW)), "merge-verify"):
        steps = load_workflow(CROSS_WORKFLOW)["jobs"][name]["steps"]
        restore = next(s for s in steps if s.get("uses") == "actions/cache/restore@v4")
        save = next(s for s in steps if s.get("uses") == "actions/cache/save@v4")
        assert "hashFiles('toolchain/roots/*.toml')" in restore["with"]["key"]
        assert save["with"]["key"] == f"${{{{ steps.{restore['id']}.outputs.cache-primary-key }}}}"
        assert restore["with"]["path"] == save["with"]["path"]
        assert restore["with"]["path"].endswith(".tar")
        shell = "\n".join(s.get("run", "") for s in steps)
        assert "sudo tar --numeric-owner -xpf" in shell
        assert "sudo tar --numeric-owner" in shell and "-cpf" in shell


def test_ci_files_the_workflows_name_exist(workflow):
    for path in set(re.findall(r"\bci/[\w./-]+\.\w+", str(workflow))):
        assert (PROJECT / path).is_file(), path
