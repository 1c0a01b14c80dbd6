"""Run pip with PEP 508 markers evaluated for the target interpreter, not this one.

pip's ``--platform``/``--python-version`` pick wheels for another machine but still evaluate
markers for the Python running pip (pypa/pip#11010, #13296), so torch's ``triton;
platform_machine == "x86_64"`` would be asked for on riscv64. pex solves the same problem for
its foreign-platform resolves by patching the marker environment of the pip it runs; so do we:

    python -m rvwheels.appset.targetpip MARKERS_JSON PIP_ARGS...
"""

from __future__ import annotations

import json
import sys


def main(argv: list[str]) -> int:
    target = json.loads(argv[0])
    from pip._vendor.packaging import markers

    environment = {**markers.default_environment(), **target}
    # Before pip's own modules import it: every caller then sees the target's values.
    markers.default_environment = lambda: dict(environment)
    from pip._internal.cli.main import main as pip_main

    return pip_main(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
