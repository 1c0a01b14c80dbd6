"""Build: resolve options, prepare the mode's environment, and build each package in it."""
