"""Read a TOML file we were given, however it is broken, into a one-line error or a document.

The file is read up to a size limit, must be UTF-8, and its values may nest only so deep:
tomllib recurses once per level, and a hostile file nested thousands deep would otherwise end
in a RecursionError traceback.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from rvwheels.errors import RvwheelsError, ToolchainError
from rvwheels.schema import checks as check
from rvwheels.schema.derive import record_for, structure
from rvwheels.schema.keypath import KeyPath, did_you_mean
from rvwheels.schema.nodes import MapOf, String

MAX_FILE_BYTES = 1 << 20  # the largest recipe is 6 kB
MAX_DEPTH = 16  # tables and lists inside each other; a recipe needs 7


def read_limited(path: Path, error_class: type[RvwheelsError], *, what: str) -> bytes:
    """The file's bytes; ``what`` ("the recipe") names it in the message."""
    if path.exists() and not path.is_file():  # a folder, or a FIFO that would block the read
        msg = f"{path}: not a regular file; {what} must be one"
        raise error_class(msg)
    try:
        with path.open("rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        msg = f"{path}: cannot read {what} ({error.strerror or error}); check the path"
        raise error_class(msg) from None
    if len(data) > MAX_FILE_BYTES:
        msg = f"{path}: larger than {MAX_FILE_BYTES} bytes; is this really {what}?"
        raise error_class(msg)
    return data


def parse_toml(data: bytes, path: Path, error_class: type[RvwheelsError]) -> dict[str, Any]:
    try:
        document = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as error:
        msg = f"{path}: not UTF-8 text (byte {error.start}); save the file as UTF-8"
        raise error_class(msg) from None
    except tomllib.TOMLDecodeError as error:
        reason, place = _split_toml_message(str(error))
        msg = f"{path}: {place}: invalid TOML: {reason}; fix the syntax there"
        raise error_class(msg) from None
    except RecursionError:
        raise _too_deep(path, error_class) from None
    except ValueError as error:  # a number of more than 4,300 digits (int() refuses it)
        reason = str(error).split(":", 1)[0]
        msg = f"{path}: invalid TOML: {reason}; write a smaller number"
        raise error_class(msg) from None
    if _depth(document) > MAX_DEPTH:
        raise _too_deep(path, error_class)
    return document


def load_toml(
    path: Path, cls: type, error_class: type[RvwheelsError], *, what: str, **filled: Any
) -> Any:
    """Read, parse and check ``path`` into a ``cls``; ``filled`` gives its internal fields."""
    document = parse_toml(read_limited(path, error_class, what=what), path, error_class)
    return structure(cls, document, KeyPath(path, error_class), **filled)


def load_toml_tables(
    path: Path,
    cls: type,
    error_class: type[RvwheelsError],
    *,
    what: str,
    name_field: str | None = None,
) -> dict[str, Any]:
    """A file whose top-level keys are names it chooses, each a table made into a ``cls``
    (given its name in ``name_field``, an internal field, when there is one)."""
    document = parse_toml(read_limited(path, error_class, what=what), path, error_class)
    at = KeyPath(path, error_class)
    record = record_for(cls)
    tables = MapOf(record.table, keys=String()).check(document, at)
    made = {}
    for name, table in tables.items():
        named = {name_field: name} if name_field else {}
        made[name] = cls(**named, **record.table.fields(table))
        if record.validate is not None:
            record.validate(made[name], at.child(name))
    return made


def _split_toml_message(message: str) -> tuple[str, str]:
    """'Invalid value (at line 3, column 7)' -> ('Invalid value', 'line 3, column 7')."""
    match = re.fullmatch(r"(.*) \(at (.*)\)", message.splitlines()[0] if message else "")
    if match is None:
        return " ".join(message.splitlines()), "somewhere"
    return match.group(1), match.group(2)


def _too_deep(path: Path, error_class: type[RvwheelsError]) -> RvwheelsError:
    msg = (
        f"{path}: tables and lists nested more than {MAX_DEPTH} deep; "
        "look for runaway [ or { and close them"
    )
    return error_class(msg)


def _depth(document: object) -> int:
    """How deep tables and lists nest, without recursing."""
    deepest, pending = 0, [(document, 0)]
    while pending:
        value, depth = pending.pop()
        deepest = max(deepest, depth)
        if isinstance(value, dict):
            pending += [(item, depth + 1) for item in value.values()]
        elif isinstance(value, list):
            pending += [(item, depth + 1) for item in value]
    return deepest


def available_names(folder: Path) -> list[str]:
    """The names of the TOML files in a toolchain folder (roots, emulators…), sorted."""
    return sorted(path.stem for path in folder.glob("*.toml"))


def named_file(folder: Path, name: str, *, what: str, plural: str) -> Path:
    """``folder/name.toml``, or a ToolchainError naming the ones there are: ``what`` ("an
    emulator") and ``plural`` ("emulators") word it. The name must be a plain file name."""
    path = folder / f"{name}.toml"
    if check.root_name(name) is not None or not path.is_file():
        known = available_names(folder)
        hint = did_you_mean(name, known) or f"known {plural}: {', '.join(known) or 'none'}"
        msg = f"{path}: no such {what}; {hint}"
        raise ToolchainError(msg)
    return path
