"""Read ``recipes/<name>.toml`` into a validated ``Recipe``; each mistake is a one-line RecipeError.

The format is documented in recipes/FORMAT.md. ``RECIPE_SCHEMA`` checks keys and types (see
``schema.py``); ``_check_source`` and ``_check_file_name`` hold the rules that span several keys
or touch the file system.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from rvwheels.errors import ConfigurationError, RecipeError
from rvwheels.recipe.schema import (
    Boolean,
    Integer,
    KeyPath,
    ListOf,
    MapOf,
    OneOf,
    String,
    Table,
    check,
    did_you_mean,
    show,
)
from rvwheels.recipe.spec import (
    BACKENDS,
    DEFAULT_TEST_TIMEOUT,
    MODES,
    AdoptSpec,
    BuildSpec,
    CrossSpec,
    LibrarySpec,
    MakeSpec,
    ProvidesSpec,
    Recipe,
    RepairSpec,
    RequiresSpec,
    SourceSpec,
    TestSpec,
    VariantSpec,
)

_PROJECT_NAME = re.compile(r"[A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9]", re.IGNORECASE)  # PEP 508
_SHA256 = re.compile(r"[0-9a-f]{64}")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_URL_SCHEMES = ("https", "http", "file")


def _project_name(value: str) -> tuple[str, str] | None:
    if _PROJECT_NAME.fullmatch(value):
        return None
    return f"{show(value)} is not a valid package name", "use the name as spelled on PyPI"


def _pep440_version(value: str) -> tuple[str, str] | None:
    try:
        Version(value)
    except InvalidVersion:
        return f"{show(value)} is not a valid PEP 440 version", 'write e.g. version = "2.4.6"'
    return None


def _sha256(value: str) -> tuple[str, str] | None:
    if _SHA256.fullmatch(value):
        return None
    if _SHA256.fullmatch(value.lower()):
        return "must be lower case hex", "write the digest in lower case"
    problem = f"expected 64 lower-case hex digits, got {len(value)} characters"
    return problem, "paste the full digest from `sha256sum FILE` or the file's PyPI page"


def _url(value: str) -> tuple[str, str] | None:
    parts = urlsplit(value)
    if parts.scheme in _URL_SCHEMES and parts.path.rstrip("/") and not parts.path.endswith("/"):
        return None
    return f"{show(value)} is not a URL to a file", "give the full https:// URL of the archive"


def _requirement(value: str) -> tuple[str, str] | None:
    try:
        Requirement(value)
    except InvalidRequirement as error:
        reason = str(error).splitlines()[0]
        return f"{show(value)} is not a PEP 508 requirement ({reason})", 'write e.g. "pytest>=8"'
    return None


def _module_name(value: str) -> tuple[str, str] | None:
    if all(part.isidentifier() for part in value.split(".")):
        return None
    return f"{show(value)} is not an importable module name", 'write e.g. "numpy.linalg"'


def _library_file_name(value: str) -> tuple[str, str] | None:
    if "/" not in value and not re.search(r"\.(so|a)(\.|$)", value):
        return None
    return (
        f"{show(value)} is a file name",
        'give the bare name: lib = "openblas" for libopenblas.so',
    )


def _env_name(value: str) -> tuple[str, str] | None:
    if _ENV_NAME.fullmatch(value):
        return None
    return "is not an environment variable name", "use letters, digits and underscores"


def _root_name(value: str) -> tuple[str, str] | None:
    if re.fullmatch(r"[a-z0-9][a-z0-9-]*", value):
        return None
    return f"{show(value)} is not a root name", 'name a file in toolchain/roots/, e.g. "cross"'


def _python_version(value: str) -> tuple[str, str] | None:
    if re.fullmatch(r"3\.[0-9]+", value):
        return None
    return f"{show(value)} is not a Python version", 'write major.minor, e.g. "3.11"'


_STRINGS = ListOf(String())
_LIBRARY = Table(
    required={
        "name": String(),
        "pkgconfig": String(),
        "lib": String(valid=_library_file_name),
    },
    optional={"headers": _STRINGS, "debian": String(), "rpm": String()},
)

_PYTHONS = ListOf(String(valid=_python_version), min_items=1, unique=True)
_REQUIRED_TABLES = {
    "package": Table(
        required={"name": String(valid=_project_name), "version": String(valid=_pep440_version)}
    ),
    "source": Table(
        optional={
            "url": String(valid=_url),
            "sha256": String(valid=_sha256),
            "path": String(),
            "patches": _STRINGS,
        }
    ),
    "build": Table(
        required={"backend": String(choices=BACKENDS)},
        optional={
            "fortran": Boolean(),
            "modes": ListOf(String(choices=MODES), min_items=1, unique=True),
            "env": MapOf(String(allow_empty=True), keys=String(valid=_env_name)),
            "config-settings": MapOf(OneOf((String(allow_empty=True), _STRINGS))),
            "roots": MapOf(String(valid=_root_name), keys=String(choices=MODES)),
            "venv-system-site-packages": Boolean(),
            "pythons": _PYTHONS,
            "make": Table(
                required={"package": String(valid=_module_name)},
                optional={"args": _STRINGS, "install-args": _STRINGS},
            ),
            "variants": MapOf(
                Table(optional={"make-args": _STRINGS, "runs-under-qemu": Boolean()})
            ),
        },
    ),
    "test": Table(
        required={"imports": ListOf(String(valid=_module_name))},
        optional={
            "requires": ListOf(String(valid=_requirement)),
            "commands": ListOf(ListOf(String(), min_items=1)),
            "timeout": Integer(minimum=1),
        },
    ),
}
_OPTIONAL_TABLES = {
    "cross": Table(
        optional={"properties": MapOf(OneOf((Boolean(), Integer(), String(), _STRINGS)))}
    ),
    "provides": Table(optional={"pkgconfig": _STRINGS, "libdirs": _STRINGS}),
    "repair": Table(optional={"exclude": _STRINGS}),
    "adopt": Table(
        optional={
            "deb": ListOf(
                Table(required={"url": String(valid=_url), "sha256": String(valid=_sha256)})
            ),
            "packages": ListOf(String(valid=_module_name), unique=True),
            "exclude": _STRINGS,
            "requires-dist": ListOf(String(valid=_requirement)),
            "drop-requires": ListOf(String(valid=_project_name)),
        }
    ),
    "requires": Table(
        optional={
            "host": ListOf(String(valid=_project_name), unique=True),
            "run": ListOf(String(valid=_requirement)),
            "library": ListOf(_LIBRARY),
        }
    ),
}
# An override names the Pythons it is for and gives whole tables that replace the recipe's.
_OVERRIDE = Table(required={"pythons": _PYTHONS}, optional=_REQUIRED_TABLES | _OPTIONAL_TABLES)
RECIPE_SCHEMA = Table(
    required=_REQUIRED_TABLES, optional=_OPTIONAL_TABLES | {"overrides": ListOf(_OVERRIDE)}
)


def load_recipe(path: Path, python: str | None = None) -> Recipe:
    """Read and validate one recipe file, as Python ``python`` ("3.11") sees it when given.

    The recipe is made for every Python an override names too, so a mistake in any override
    shows before a build needs it. Raises RecipeError naming the file, key and fix.
    """
    data = _read_bytes(path)
    document = check(_parse_toml(data, path), RECIPE_SCHEMA, path)
    at = KeyPath(path)
    named = [
        version for override in document.get("overrides", ()) for version in override["pythons"]
    ]
    recipes = {
        version: _recipe_from(*_for_python(document, version, at), path=path, data=data)
        for version in dict.fromkeys([python, *named])
    }
    return recipes[python]


def _for_python(
    document: Mapping[str, Any], python: str | None, at: KeyPath
) -> tuple[dict[str, Any], dict[str, KeyPath]]:
    """The tables that apply to ``python`` and where each was written: each [[overrides]]
    entry naming it replaces the tables it gives, whole (later entries win), as cibuildwheel's
    overrides do."""
    tables = {key: value for key, value in document.items() if key != "overrides"}
    where = {key: at.child(key) for key in tables}
    for i, override in enumerate(document.get("overrides", ())):
        if python in override["pythons"]:
            for key, value in override.items():
                if key != "pythons":
                    tables[key] = value
                    where[key] = at.child("overrides").item(i).child(key)
    return tables, where


def _recipe_from(
    document: Mapping[str, Any], where: Mapping[str, KeyPath], *, path: Path, data: bytes
) -> Recipe:
    name = _check_file_name(document["package"], path, where["package"])
    source = _check_source(document["source"], path.resolve().parent, where["source"])
    return Recipe(
        name=name,
        version=document["package"]["version"],
        source=source,
        build=_build_spec(document["build"], where["build"]),
        cross=CrossSpec(properties=document.get("cross", {}).get("properties", {})),
        requires=_requires_spec(document.get("requires", {})),
        provides=ProvidesSpec(**document.get("provides", {})),
        adopt=_adopt_spec(document, where, source),
        repair=RepairSpec(**document.get("repair", {})),
        test=_test_spec(document["test"]),
        path=path.resolve(),
        digest=_digest(data, source.patches),
    )


def load_recipes(directory: Path, python: str | None = None) -> dict[str, Recipe]:
    """Every ``*.toml`` recipe in ``directory`` (as ``python`` sees it), by normalised name."""
    _require_directory(directory)
    recipes = (load_recipe(path, python) for path in sorted(directory.glob("*.toml")))
    return {recipe.name: recipe for recipe in recipes}


def find_recipe(name: str, directory: Path, python: str | None = None) -> Recipe:
    """The recipe for ``name`` (any spelling PEP 503 normalises to it) from ``directory``."""
    _require_directory(directory)
    wanted = canonicalize_name(name)
    path = directory / f"{wanted}.toml"
    if path.is_file():
        return load_recipe(path, python)
    known = sorted(candidate.stem for candidate in directory.glob("*.toml"))
    hint = did_you_mean(wanted, known) or f"known recipes: {', '.join(known) or 'none'}"
    msg = f"no recipe for {show(name)} in {directory}; {hint}"
    raise ConfigurationError(msg)


def _require_directory(directory: Path) -> None:
    if not directory.is_dir():
        msg = f"recipe directory {directory} does not exist; pass an existing directory"
        raise ConfigurationError(msg)


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        msg = f"{path}: cannot read the recipe ({error.strerror}); check the path"
        raise RecipeError(msg) from error


def _parse_toml(data: bytes, path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as error:
        msg = f"{path}: not UTF-8 text (byte {error.start}); save the recipe as UTF-8"
        raise RecipeError(msg) from error
    except tomllib.TOMLDecodeError as error:
        reason, place = _split_toml_message(str(error))
        msg = f"{path}: {place}: invalid TOML: {reason}; fix the syntax there"
        raise RecipeError(msg) from error


def _split_toml_message(message: str) -> tuple[str, str]:
    """'Invalid value (at line 3, column 7)' -> ('Invalid value', 'line 3, column 7')."""
    match = re.fullmatch(r"(.*) \(at (.*)\)", message.splitlines()[0] if message else "")
    if match is None:
        return " ".join(message.splitlines()), "somewhere"
    return match.group(1), match.group(2)


def _check_file_name(package: Mapping[str, Any], path: Path, at: KeyPath) -> str:
    """``at`` is where [package] was written."""
    written = package["name"]
    name = canonicalize_name(written)
    if path.stem != name:
        normalised = f" (normalised: {show(name)})" if name != written else ""
        problem = f"{show(written)}{normalised} does not match the file name {path.name}"
        fix = f"rename the file to {name}.toml or fix the name"
        raise at.child("name").error(problem=problem, fix=fix)
    return name


def _check_source(source: Mapping[str, Any], base: Path, at: KeyPath) -> SourceSpec:
    url, local, sha256 = source.get("url"), source.get("path"), source.get("sha256")
    if url is not None and local is not None:
        raise at.error(problem="has both url and path", fix="keep exactly one of them")
    if url is None and local is None:
        fix = 'add url = "https://…" with sha256 = "…", or path = "…" for a local directory'
        raise at.error(problem="needs url or path", fix=fix)
    if url is not None and sha256 is None:
        raise at.child("sha256").error(
            problem="missing (required with url)", fix='add sha256 = "…" (64 hex digits)'
        )
    if local is not None and sha256 is not None:
        raise at.child("sha256").error(problem="only applies to url sources", fix="remove it")
    patches = source.get("patches", ())
    return SourceSpec(
        url=url,
        path=None if local is None else _existing(base / local, at.child("path"), directory=True),
        sha256=sha256,
        patches=tuple(
            _existing(base / patch, at.child("patches").item(i), directory=False)
            for i, patch in enumerate(patches)
        ),
    )


def _existing(path: Path, at: KeyPath, *, directory: bool) -> Path:
    resolved = path.resolve()
    if not (resolved.is_dir() if directory else resolved.is_file()):
        kind = "directory" if directory else "file"
        fix = "fix the path (it is relative to the recipe file)"
        raise at.error(problem=f"{kind} {resolved} does not exist", fix=fix)
    return resolved


def _build_spec(build: Mapping[str, Any], at: KeyPath) -> BuildSpec:
    settings = build.get("config-settings", {})
    _check_make_keys(build, at)
    make = build.get("make")
    return BuildSpec(
        backend=build["backend"],
        fortran=build.get("fortran", False),
        modes=build.get("modes", MODES),
        env=build.get("env", {}),
        config_settings={
            key: (value,) if isinstance(value, str) else value for key, value in settings.items()
        },
        roots=build.get("roots", {}),
        system_site_packages=build.get("venv-system-site-packages", False),
        pythons=build.get("pythons", ()),
        make=None
        if make is None
        else MakeSpec(
            package=make["package"],
            args=make.get("args", ()),
            install_args=make.get("install-args", ()),
        ),
        variants=tuple(
            VariantSpec(
                name=name,
                make_args=variant.get("make-args", ()),
                runs_under_qemu=variant.get("runs-under-qemu", True),
            )
            for name, variant in build.get("variants", {}).items()
        ),
    )


def _adopt_spec(
    document: Mapping[str, Any], where: Mapping[str, KeyPath], source: SourceSpec
) -> AdoptSpec | None:
    is_adopt = document["build"]["backend"] == "adopt"
    adopt = document.get("adopt")
    if adopt is not None and not is_adopt:
        raise where["adopt"].error(
            problem='only applies to build.backend = "adopt"', fix="remove [adopt]"
        )
    if not is_adopt:
        return None
    adopt = adopt or {}
    if source.filename.endswith(".deb") and not adopt.get("packages"):
        name = document["package"]["name"]
        raise where["build"].error(
            problem="adopting a .deb needs adopt.packages, the top-level Python packages to take",
            fix=f'add packages = ["{name}"] to [adopt]',
        )
    return AdoptSpec(
        debs=tuple(SourceSpec(url=d["url"], sha256=d["sha256"]) for d in adopt.get("deb", ())),
        packages=adopt.get("packages", ()),
        exclude=adopt.get("exclude", ()),
        requires_dist=adopt.get("requires-dist"),
        drop_requires=adopt.get("drop-requires", ()),
    )


def _check_make_keys(build: Mapping[str, Any], at: KeyPath) -> None:
    is_make = build["backend"] == "make"
    if is_make and "make" not in build:
        raise at.child("make").error(
            problem='missing (required with backend = "make")',
            fix='add a [build.make] section with package = "…"',
        )
    for key in ("make", "variants"):
        if key in build and not is_make:
            raise at.child(key).error(
                problem='only applies to backend = "make"', fix=f"remove [build.{key}]"
            )


def _requires_spec(requires: Mapping[str, Any]) -> RequiresSpec:
    return RequiresSpec(
        host=tuple(canonicalize_name(name) for name in requires.get("host", ())),
        run=requires.get("run", ()),
        libraries=tuple(
            LibrarySpec(
                name=library["name"],
                pkgconfig=library["pkgconfig"],
                lib=library["lib"],
                headers=library.get("headers", ()),
                debian=library.get("debian"),
                rpm=library.get("rpm"),
            )
            for library in requires.get("library", ())
        ),
    )


def _test_spec(test: Mapping[str, Any]) -> TestSpec:
    return TestSpec(
        imports=test["imports"],
        requires=test.get("requires", ()),
        commands=test.get("commands", ()),
        timeout=test.get("timeout", DEFAULT_TEST_TIMEOUT),
    )


def _digest(recipe_bytes: bytes, patches: tuple[Path, ...]) -> str:
    digest = hashlib.sha256(recipe_bytes)
    for patch in patches:
        digest.update(patch.read_bytes())
    return digest.hexdigest()
