"""Verify: wheels installed into a clean riscv64 environment and proven there, after each build
(the test phase) and for a whole wheelhouse (`rvwheels verify`)."""

from rvwheels.verify.command import verify
from rvwheels.verify.report import Report, print_report

__all__ = ["Report", "print_report", "verify"]
