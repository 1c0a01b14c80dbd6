"""The riscv64 environment: Debian roots, executors that run commands in them, the Meson cross
file, pkg-config confinement and compiler checks."""
