"""One package's build, as phases that take frozen inputs and return frozen results: check the
environment (check.py), fetch (fetching.py), prepare the source (prepare.py), compile it with the
recipe's backend (compile.py, backends/). Repair, test and publish are later stages."""
