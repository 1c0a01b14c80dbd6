"""rvwheels-runtime: LaMa inpainting on NumPy alone.

Importing the package imports nothing heavy (not even numpy), so a command-line entry point can
still set BLAS environment variables first. The generator lives in ``rvwheels_runtime.model``,
the bundled self-check in ``rvwheels_runtime.tiny``.
"""

__version__ = "0.1.0"
