"""``python -m rvwheels_runtime.serve``: the same as ``inpaint serve``."""

import sys

from rvwheels_runtime.serve.cli import main

sys.exit(main())
