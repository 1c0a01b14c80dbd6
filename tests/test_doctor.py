from __future__ import annotations

import pytest

from rvwheels.doctor import Check, run_checks
from rvwheels.options import resolve_options


def test_missing_roots_are_reported_with_the_fix(tmp_path):
    options = resolve_options(
        mode="cross",
        wheelhouse=None,
        jobs=1,
        recipes_dir=None,
        env={"RVWHEELS_CACHE": str(tmp_path)},
        machine="x86_64",
    )
    checks = {c.name: c for c in run_checks(options)}
    assert not checks["root cross"].ok and not checks["root target"].ok
    assert "rvwheels setup" in checks["root cross"].line()


def test_a_check_line_shows_the_fix_only_when_missing():
    assert "fix" not in Check(name="x", ok=True, detail="d", fix="do it").line()
    assert Check(name="x", ok=False, detail="d", fix="do it").line().endswith("→ fix: do it")


@pytest.mark.integration
def test_after_setup_every_cross_check_is_ok():
    options = resolve_options(mode="cross", wheelhouse=None, jobs=1, recipes_dir=None)
    failing = [c.line() for c in run_checks(options) if not c.ok]
    assert failing == []
