"""Render a Meson cross file from the target description and a recipe's cross properties."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rvwheels.environment.target import Target

Value = str | int | bool | Sequence[str]
# ccache does not cache Fortran (it would only pass the call through).
CACHED_LANGUAGES = ("c", "cpp")


def render_cross_file(
    target: Target,
    *,
    properties: Mapping[str, Value],
    pkgconfig_libdir: Sequence[str],
    exe_wrapper: Sequence[str],
    launcher: str | None = None,
) -> str:
    """``launcher``: a compiler cache (ccache) put in front of the C and C++ compilers; Meson
    adds one by itself only for compilers it finds, never for those a machine file names."""
    binaries: dict[str, Value] = {**target.cross.binaries, "exe_wrapper": list(exe_wrapper)}
    if launcher is not None:
        for lang in CACHED_LANGUAGES:
            if lang in binaries:
                binaries[lang] = [launcher, str(binaries[lang])]
    # Meson ignores PKG_CONFIG_LIBDIR for the host machine of a cross build; this property is
    # what confines its pkg-config lookups to the target's libraries.
    props = {"pkg_config_libdir": list(pkgconfig_libdir), **properties}
    sections = {
        "binaries": binaries,
        "host_machine": target.cross.host_machine,
        "properties": props,
    }
    lines: list[str] = []
    for name, entries in sections.items():
        lines.append(f"[{name}]")
        lines += [f"{key} = {meson_literal(value)}" for key, value in entries.items()]
        lines.append("")
    return "\n".join(lines)


def meson_literal(value: Value) -> str:
    """A value as Meson writes it: in a cross file, or in a -D option on the command line."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return _quote(value)
    return "[" + ", ".join(_quote(item) for item in value) + "]"


def _quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
