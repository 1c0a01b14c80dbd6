"""Which Python a --python version means: the toolchain's build of it, or the roots' own."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from rvwheels.build.modes._roots import require_python
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
