"""An app's requirements file → a riscv64 wheelhouse and a lock: pip's resolver decides the set,
our recipes (or drafts of new ones) build what PyPI lacks for riscv64."""
