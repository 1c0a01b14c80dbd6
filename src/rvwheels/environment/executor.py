"""Where a command runs: on this machine, or inside a Debian root through bubblewrap.

Both executors have the same ``run`` contract as ``rvwheels.run.run`` (they call it), so the build
pipeline does not care where it runs, as cibuildwheel's containers and its host do not.
Paths are always given as the executor sees them; ``inside(host_path)`` translates.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Protocol

from rvwheels.run import run

ROOT_PATH = "/usr/local/bin:/usr/local/sbin:/usr/bin:/usr/sbin:/bin:/sbin"


class Executor(Protocol):
    def run(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: str | None = None,
        log: Path | None = None,
        timeout: float | None = None,
        capture: bool = False,
    ) -> str: ...

    def inside(self, host_path: Path) -> str:
        """The path under which this executor sees ``host_path``."""
        ...

    def host_path(self, inner: str) -> Path:
        """The host path of a file inside this executor's filesystem (for inspection)."""
        ...

    def which(self, program: str) -> str | None: ...

    def bound(self, ro_binds: Mapping[Path, str]) -> Executor:
        """The same executor, also seeing these host folders (read-only) where given."""
        ...


@dataclass(frozen=True)
class HostExecutor:
    """Runs commands directly on this machine (native mode)."""

    base_env: Mapping[str, str] = field(default_factory=dict)

    def run(self, argv, *, env=None, cwd=None, log=None, timeout=None, capture=False) -> str:
        return run(
            argv,
            env={**self.base_env, **(env or {})},
            cwd=cwd,
            log=log,
            timeout=timeout,
            capture=capture,
        )

    def inside(self, host_path: Path) -> str:
        return str(host_path)

    def host_path(self, inner: str) -> Path:
        return Path(inner)

    def which(self, program: str) -> str | None:
        return shutil.which(program, path=self.base_env.get("PATH", os.environ.get("PATH")))

    def bound(self, ro_binds: Mapping[Path, str]) -> HostExecutor:
        return self  # this machine sees every folder already


@dataclass(frozen=True)
class RootExecutor:
    """Runs commands inside a read-only Debian root with bubblewrap.

    The root stays pristine: only the bound folders are writable, /tmp is a fresh tmpfs, and the
    environment is cleared, so nothing from the host (pip config, PATH) leaks in. ``binds`` maps
    host folders to their mount points inside (which must exist in the root, see roots.py).
    """

    root: Path
    binds: Mapping[Path, str]
    ro_binds: Mapping[Path, str] = field(default_factory=dict)
    base_env: Mapping[str, str] = field(default_factory=dict)

    def run(self, argv, *, env=None, cwd=None, log=None, timeout=None, capture=False) -> str:
        return run(
            [*self._bwrap_prefix({**self.base_env, **(env or {})}, cwd), *argv],
            log=log,
            timeout=timeout,
            capture=capture,
        )

    def _bwrap_prefix(self, env: Mapping[str, str], cwd: str | None) -> list[str]:
        args = ["bwrap", "--ro-bind", str(self.root), "/", "--dev", "/dev", "--proc", "/proc"]
        args += ["--tmpfs", "/tmp", "--die-with-parent", "--clearenv"]
        for host, inner in self.binds.items():
            args += ["--bind", str(host), inner]
        for host, inner in self.ro_binds.items():
            args += ["--ro-bind", str(host), inner]
        full_env = {"PATH": ROOT_PATH, "HOME": "/tmp", "LANG": "C.UTF-8", **env}
        for key, value in full_env.items():
            args += ["--setenv", key, value]
        if cwd:
            args += ["--chdir", cwd]
        return [*args, "--"]

    def inside(self, host_path: Path) -> str:
        host_path = host_path.resolve()
        for mapping in (self.binds, self.ro_binds):
            for host, inner in mapping.items():
                try:
                    rel = host_path.relative_to(Path(host).resolve())
                except ValueError:
                    continue
                return str(PurePosixPath(inner) / rel) if str(rel) != "." else inner
        msg = f"{host_path} is not visible inside the root {self.root}"
        raise ValueError(msg)

    def host_path(self, inner: str) -> Path:
        return resolve_in_root(self.root, inner)

    def which(self, program: str) -> str | None:
        path = self.base_env.get("PATH", ROOT_PATH)
        for directory in path.split(":"):
            candidate = self.host_path(f"{directory}/{program}")
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return f"{directory}/{program}"
        return None

    def bound(self, ro_binds: Mapping[Path, str]) -> RootExecutor:
        if not ro_binds:
            return self
        return dataclasses.replace(self, ro_binds={**self.ro_binds, **ro_binds})


def resolve_in_root(root: Path, inner: str) -> Path:
    """Resolve ``inner`` inside ``root``, following symlinks as the root would.

    Debian's libopenblas.so.0 is an absolute link through /etc/alternatives; resolving it on the
    host would find the host's file (or nothing), so absolute targets are re-anchored at ``root``.
    """
    parts = list(PurePosixPath(inner).parts[1:])
    current = root
    hops = 0
    while parts:
        part = parts.pop(0)
        candidate = current / part
        if candidate.is_symlink() and hops < 40:
            hops += 1
            target = PurePosixPath(os.readlink(candidate))
            if target.is_absolute():
                current = root
                parts = list(target.parts[1:]) + parts
            else:
                parts = list(target.parts) + parts
            continue
        current = (
            root
            if part == ".." and current == root
            else (current.parent if part == ".." else candidate)
        )
    return current
