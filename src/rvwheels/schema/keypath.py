"""Where a value sits in a TOML file, and the one-line error that names it.

Every message has the shape ``FILE: dotted.key: problem; fix``: what is wrong and how to fix it,
on one line, raised as the error class the file kind asks for (RecipeError, ToolchainError).
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rvwheels.errors import RvwheelsError

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def did_you_mean(word: str, options: Iterable[str]) -> str:
    """ "did you mean 'x'?" for the closest option, or "" when nothing is close."""
    options = list(options)
    matches = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    # difflib misses short prefixes ("meson" for "meson-python"); a unique prefix is a fine guess.
    prefixed = [option for option in options if word and option.startswith(word)]
    if not matches and len(prefixed) == 1:
        matches = prefixed
    return f"did you mean '{matches[0]}'?" if matches else ""


def show(value: object) -> str:
    """A value as it would be written in TOML, always on one line."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        # Invisible characters (a zero-width space in a name) are shown escaped.
        quoted = json.dumps(value, ensure_ascii=False)
        return "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in quoted)
    return str(value)


def describe(value: object) -> str:
    """What a user wrote, in words: 'the string "no"', 'the bare number 2.4', 'a table'."""
    if isinstance(value, bool):
        return f"the boolean {show(value)}"
    if isinstance(value, str):
        return f"the string {show(value)}"
    if isinstance(value, int | float):
        return f"the bare number {value}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return f"a {type(value).__name__} ({value})"


@dataclass(frozen=True)
class KeyPath:
    """The file, the error class its mistakes raise, and the keys leading to a value."""

    file: Path
    error_class: type[RvwheelsError]
    parts: tuple[str, ...] = ()

    def child(self, key: str) -> KeyPath:
        part = key if _BARE_KEY.fullmatch(key) else show(key)
        return KeyPath(self.file, self.error_class, (*self.parts, part))

    def item(self, index: int) -> KeyPath:
        *head, last = self.parts
        return KeyPath(self.file, self.error_class, (*head, f"{last}[{index}]"))

    @property
    def dotted(self) -> str:
        return ".".join(self.parts)

    @property
    def key(self) -> str:
        """The last key, without any [index]: what the user types before '='."""
        return self.parts[-1].split("[", 1)[0] if self.parts else ""

    def assign(self, value: str) -> str:
        """How the value is written here: 'key = value', or just 'value' inside a list."""
        return value if self.parts and self.parts[-1].endswith("]") else f"{self.key} = {value}"

    @property
    def section(self) -> str:
        """The header of the table that holds this key: '[build]', '[[requires.library]]'."""
        name = ".".join(part.split("[", 1)[0] for part in self.parts[:-1])
        in_array = len(self.parts) > 1 and self.parts[-2].endswith("]")
        return f"[[{name}]]" if in_array else f"[{name}]" if name else ""

    def error(self, *, problem: str, fix: str) -> RvwheelsError:
        where = f"{self.file}: {self.dotted}: " if self.parts else f"{self.file}: "
        return self.error_class(" ".join(f"{where}{problem}; {fix}".splitlines()))
