"""Adopt: turn riscv64 binaries that are packaged wrong into proper wheels.

Some riscv64 builds exist but cannot be installed as they are: a wheel under the wrong name or
tag (PyPI's ``pytorch-riscv64``, tagged ``cp311-none-any``), or a Debian package whose Python
tree links into ``/usr/lib``. Each module here does one step, as auditwheel's do: ``debs``
unpacks .deb files and copies a Python tree out of them with every link resolved inside the
unpacked root, ``elfcheck`` proves that every ELF file in a tree is built for the target, and
``rewrap`` writes the tree as a wheel with the right name, version, tag and a fresh RECORD.
Grafting libraries and the manylinux tag are left to auditwheel repair.
"""
