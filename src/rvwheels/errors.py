"""The one way to report an error.

Every failure a user can cause or fix is an ``RvwheelsError``: its message is one line that says
what went wrong and how to fix it. Only ``cli.main`` catches these; it prints the message and
exits with the class's ``exit_code``. Library code never calls ``sys.exit``.
"""

from __future__ import annotations


class RvwheelsError(Exception):
    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigurationError(RvwheelsError):
    """Bad command-line input: an unknown package, a mode the recipe does not allow."""

    exit_code = 2


class RecipeError(RvwheelsError):
    """A recipe file is malformed: names the file, the key and the fix."""

    exit_code = 3


class ToolchainError(RvwheelsError):
    """A file under toolchain/ (target, host, roots, distros, pythons) is malformed: names the
    file, the key and the fix."""

    exit_code = 12


class FetchError(RvwheelsError):
    """A download failed or its sha256 did not match."""

    exit_code = 4


class EnvError(RvwheelsError):
    """The build or target environment lacks something (compiler, root, qemu, library)."""

    exit_code = 5


class PatchError(RvwheelsError):
    """A recipe patch does not apply to the source."""

    exit_code = 6


class BuildError(RvwheelsError):
    """The package's build backend failed; the message names the log."""

    exit_code = 7


class RepairError(RvwheelsError):
    """auditwheel could not repair the wheel."""

    exit_code = 8


class WheelTestError(RvwheelsError):
    """The built wheel failed its recipe tests in a fresh target environment."""

    exit_code = 9


class WheelhouseError(RvwheelsError):
    """The wheelhouse could not be read or updated."""

    exit_code = 10


class CommandFailed(RvwheelsError):
    """A subprocess exited non-zero. Callers usually convert it into a more specific error."""

    exit_code = 11

    def __init__(self, message: str, *, returncode: int, log_path: str | None) -> None:
        super().__init__(message)
        self.returncode = returncode
        self.log_path = log_path
