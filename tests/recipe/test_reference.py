"""FORMAT.md says what the typed spec says: its key reference is generated from the spec, and
its Placeholders section names every placeholder a key accepts."""

from __future__ import annotations

import re

from rvwheels.recipe.reference import FORMAT_MD, key_reference, updated
from rvwheels.recipe.schema import RECIPE
from rvwheels.schema.docs import placeholder_keys


def format_md() -> str:
    return FORMAT_MD.read_text(encoding="utf-8")


def test_the_key_reference_is_up_to_date() -> None:
    assert updated(format_md()) == format_md(), (
        "FORMAT.md's key reference is stale: run python -m rvwheels.recipe.reference"
    )


def test_every_key_of_the_spec_is_in_the_reference() -> None:
    reference = key_reference()
    for key in RECIPE.keys:
        assert f"`{key.name}`" in reference
    for key in (
        "venv-system-site-packages",
        "config-settings",
        "install-args",
        "make-args",
        "test-under",
        "requires-dist",
        "drop-requires",
    ):
        assert f"| `{key}` |" in reference, key


def test_the_placeholder_section_names_every_placeholder_of_the_spec() -> None:
    section = format_md().split("## Placeholders", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"`\{(\w+)\}`", section))
    accepted = {name for _, names in placeholder_keys(RECIPE) for name in names}
    assert (
        accepted
        == documented
        == {"target_site", "build_site", "cc", "fc", "hostcc", "jobs", "prefix", "source"}
    )


def test_placeholders_are_where_the_builder_fills_them() -> None:
    where = dict(placeholder_keys(RECIPE))
    sites = ("target_site", "build_site")
    assert where["build.env"] == where["build.config-settings"] == sites
    assert where["cross.properties"] == sites
    assert where["build.make.args"] == where["build.make.install-args"]
    assert where["build.variants.make-args"] == ("cc", "fc", "hostcc", "jobs", "prefix")
    assert where["test.commands"] == ("source",)
    assert len(where) == 7
