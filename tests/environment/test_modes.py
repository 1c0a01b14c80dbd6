"""Which Python a --python version means: the toolchain's build of it, or the roots' own."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from rvwheels.environment.modes import mode_for
from rvwheels.environment.modes._roots import require_python
from rvwheels.errors import EnvError
from rvwheels.paths import TOOLCHAIN_DIR


def _side(version: str):
    return SimpleNamespace(info=SimpleNamespace(version=version))


def test_the_roots_own_python_satisfies_its_version():
    require_python("3.13", _side("3.13"), TOOLCHAIN_DIR)
    require_python(None, _side("3.13"), TOOLCHAIN_DIR)


def test_a_version_nobody_provides_says_how_to_add_it():
    with pytest.raises(EnvError) as caught:
        require_python("3.12", _side("3.13"), TOOLCHAIN_DIR)
    message = caught.value.message
    assert message.startswith("--python 3.12: the roots' Python is 3.13")
    assert "toolchain/pythons/ builds 3.11" in message
    assert "add toolchain/pythons/3.12.toml" in message


def _recipe_with_modes(*modes: str):
    return SimpleNamespace(build=SimpleNamespace(modes=modes))


def test_a_recipe_that_cannot_cross_build_builds_emulated_in_a_cross_run():
    assert mode_for(_recipe_with_modes("emulated"), "cross") == "emulated"
    assert mode_for(_recipe_with_modes("cross", "emulated"), "cross") == "cross"
    # Native and emulated runs keep their mode; the recipe's mode check then speaks.
    assert mode_for(_recipe_with_modes("emulated"), "native") == "native"
    assert mode_for(_recipe_with_modes("cross"), "emulated") == "emulated"
    assert mode_for(_recipe_with_modes("native"), "cross") == "cross"


def test_a_recipes_system_packages_make_a_root_of_their_own():
    from rvwheels.environment.roots import extended, load_root_spec

    cross = load_root_spec("cross")
    assert extended(cross, ()) is cross
    geos = extended(cross, ("libgeos-dev:riscv64",))
    assert geos.name.startswith("cross-plus-") and geos.key != cross.key
    assert geos.packages == (*cross.packages, "libgeos-dev:riscv64")
    assert extended(cross, ("libgeos-dev:riscv64",)).key == geos.key  # the same root again
