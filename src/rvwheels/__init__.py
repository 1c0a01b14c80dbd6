"""rvwheels: build, repair and publish riscv64 wheels of the scientific Python stack."""

__version__ = "0.1.0"
