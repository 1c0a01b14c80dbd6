"""Where builds and tests run: Debian roots, the target, Pythons, the sides (executor + Python)
of each build mode (modes/), venvs, the Meson cross file and pkg-config confinement."""
