"""Which requirements come from PyPI, decided for the target, and which are pinned to ours."""

from __future__ import annotations

import email.parser
import zipfile
from collections.abc import Collection, Mapping
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from rvwheels.environment.sides import PythonInfo


def pypi_requirements(wheel: Path, *, own: Collection[str], target: PythonInfo) -> list[str]:
    """A wheel's Requires-Dist without extras, minus the projects in ``own`` (built by our
    recipes, so they come from the wheelhouse): what must be fetched from PyPI for it.

    Markers are decided here for the ``target`` Python and machine: the host's ``pip download
    --python-version`` evaluates them for the host's own Python instead (torch's
    ``setuptools; python_version >= "3.12"`` would be dropped by a 3.11 host)."""
    with zipfile.ZipFile(wheel) as zf:
        name = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = email.parser.Parser().parsestr(zf.read(name).decode())
    wanted = []
    for requirement in map(Requirement, metadata.get_all("Requires-Dist") or []):
        if canonicalize_name(requirement.name) in own:
            continue
        if requirement.marker is None or requirement.marker.evaluate(marker_environment(target)):
            requirement.marker = None
            wanted.append(str(requirement))
    return wanted


def marker_environment(target: PythonInfo) -> dict[str, str]:
    """PEP 508 marker values of the ``target`` interpreter (a Linux CPython)."""
    return {
        "python_version": target.version,
        "python_full_version": target.full,
        "platform_machine": target.machine,
        "sys_platform": "linux",
        "platform_system": "Linux",
        "os_name": "posix",
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
        "extra": "",
    }


def pins_for_our_builds(requirements: Collection[str], ours: Mapping[str, str]) -> list[str]:
    """``name==version`` for each requirement that one of our recipes builds (``ours``: name ->
    version). A build requirement we build (numpy for scipy) is pinned to our version on the
    build side too: Cython compiles against the build numpy's .pxd and the target numpy's
    headers, which must agree (numpy 2.5's .pxd uses PyDataType_TYPEOBJ, which 2.4's lack)."""
    names = {canonicalize_name(Requirement(r).name) for r in requirements}
    return [f"{name}=={ours[name]}" for name in sorted(names & set(ours))]
