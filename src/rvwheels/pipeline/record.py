"""The build record published next to each wheel: what was built, from what, where and how."""

from __future__ import annotations

from collections.abc import Mapping

from rvwheels.builder.check import Checked
from rvwheels.builder.compile import Compiled
from rvwheels.builder.fetching import Fetched
from rvwheels.builder.job import BuildJob
from rvwheels.builder.sourcetree import source_note
from rvwheels.repair import Repaired, platform_tag
from rvwheels.verify.wheeltest import Tested


def build_record(
    job: BuildJob,
    *,
    checked: Checked,
    fetched: Fetched,
    compiled: Compiled,
    repaired: Repaired,
    tested: Tested,
    seconds: Mapping[str, float],
) -> dict[str, object]:
    recipe = job.recipe
    return {
        "name": recipe.name,
        "version": recipe.version,
        "recipe": str(recipe.path),
        "recipe_digest": recipe.digest,
        "source_sha256": recipe.source.sha256 or source_note(fetched.source),
        "mode": job.env.mode,
        "variant": None if job.variant is None else job.variant.name,
        "environment": job.env.description,
        "compilers": {"c": compiled.compiler},
        "python": job.env.build.info.full,
        "tag": platform_tag(repaired.wheel),
        "auditwheel_show": repaired.auditwheel_show,
        "generated_pc_files": [p.name for p in checked.generated_pc],
        "seconds": dict(seconds),
        "test": {"ran": tested.ran, "passed": tested.ran, "seconds": round(tested.seconds, 1)},
        "log": str(job.log),
    }
