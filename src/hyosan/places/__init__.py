"""Places at country scale: patches (cities or grid cells), their populations and the movement between them.

:mod:`~hyosan.places.patches` the shared ``Patches`` object; :mod:`~hyosan.places.sources` cities,
tables and grids; :mod:`~hyosan.places.mobility` gravity, radiation and walking; :mod:`~hyosan.places.spec`
the one-line specs of the CLI; :mod:`~hyosan.places.country` and :mod:`~hyosan.places.outbreak` the
country scenarios (``hyosan run korea``).
"""
