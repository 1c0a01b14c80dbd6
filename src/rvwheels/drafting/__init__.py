"""`rvwheels new NAME[==VERSION]`: draft a recipe from PyPI's JSON API and the sdist itself
(pypi.py reads the release, sdist.py looks inside the archive, draft.py writes the recipe)."""
