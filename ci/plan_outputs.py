#!/usr/bin/env python3
"""Turn ``rvwheels plan --json`` (read from stdin) into what a CI pipeline consumes.

``--github N``: lines for ``$GITHUB_OUTPUT`` in a workflow with N level jobs: ``count=L`` (the
number of levels) and ``level0=[...]`` … ``level<N-1>=[...]`` (JSON lists, empty for levels the
plan does not have), so level job K runs a matrix over ``fromJSON(needs.plan.outputs.levelK)``.

``--lines``: one line per level, its package names separated by spaces (ci/run-riscv64.sh).

Errors are one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import sys

PLAN_FORMAT = 1


class PlanError(Exception):
    """The plan cannot drive this pipeline; the message says why and what to do."""


def parse_levels(text: str) -> list[list[str]]:
    """The levels of a ``rvwheels plan --json`` document, checked for shape and version."""
    try:
        plan = json.loads(text)
    except ValueError as exc:
        msg = f"the plan is not JSON ({exc}); pipe 'rvwheels plan ... --json' into this script"
        raise PlanError(msg) from None
    if not isinstance(plan, dict) or plan.get("version") != PLAN_FORMAT:
        found = plan.get("version") if isinstance(plan, dict) else type(plan).__name__
        msg = f"plan format {found!r} is not {PLAN_FORMAT}; update ci/ to match this rvwheels"
        raise PlanError(msg)
    levels = plan.get("levels")
    if not isinstance(levels, list) or not all(_is_name_list(level) for level in levels):
        msg = "the plan's 'levels' is not a list of lists of package names; check rvwheels plan"
        raise PlanError(msg)
    return levels


def _is_name_list(level: object) -> bool:
    return (
        isinstance(level, list)
        and bool(level)
        and all(isinstance(name, str) and name and " " not in name for name in level)
    )


def github_outputs(levels: list[list[str]], level_jobs: int) -> list[str]:
    """``key=value`` lines for ``$GITHUB_OUTPUT``; refuses plans deeper than the workflow."""
    if level_jobs < 1:
        msg = f"--github {level_jobs}: a workflow needs at least one level job; pass --github 1"
        raise PlanError(msg)
    if len(levels) > level_jobs:
        msg = (
            f"the plan has {len(levels)} levels but the workflow has {level_jobs} level jobs; "
            f"add level-{level_jobs} (copy level-{level_jobs - 1}) and pass --github "
            f"{len(levels)}"
        )
        raise PlanError(msg)
    lines = [f"count={len(levels)}"]
    for number in range(level_jobs):
        packages = levels[number] if number < len(levels) else []
        lines.append(f"level{number}={json.dumps(packages)}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    form = parser.add_mutually_exclusive_group(required=True)
    form.add_argument("--github", type=int, metavar="N", help="outputs for N level jobs")
    form.add_argument("--lines", action="store_true", help="one line of packages per level")
    args = parser.parse_args(argv)
    try:
        levels = parse_levels(sys.stdin.read())
        lines = (
            [" ".join(level) for level in levels]
            if args.lines
            else github_outputs(levels, args.github)
        )
    except PlanError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
