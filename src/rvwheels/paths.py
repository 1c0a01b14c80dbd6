"""Where rvwheels keeps its inputs (project data files) and its caches."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
RECIPES_DIR = PROJECT_ROOT / "recipes"
TOOLCHAIN_DIR = PROJECT_ROOT / "toolchain"
DEFAULT_WHEELHOUSE = PROJECT_ROOT / "wheelhouse"


def cache_dir(env: os._Environ[str] | dict[str, str] | None = None) -> Path:
    """The cache root: $RVWHEELS_CACHE, else $XDG_CACHE_HOME/rvwheels, else ~/.cache/rvwheels."""
    env = os.environ if env is None else env
    if env.get("RVWHEELS_CACHE"):
        return Path(env["RVWHEELS_CACHE"])
    xdg = env.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "rvwheels"
