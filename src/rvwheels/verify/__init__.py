"""Verify: wheels installed into a clean riscv64 environment and proven there, after each build
(the test phase) and for a whole wheelhouse (`rvwheels verify`)."""

from rvwheels.verify.command import Report, print_report, verify

__all__ = ["Report", "print_report", "verify"]
