"""Domain rules, one package per domain. Views, OCPP handlers and jobs call these; these never touch
`request` or templates. `errors` (the named domain errors) is shared by all of them; each package's
docstring says what it owns and which other packages it may use (tests/test_import_graph.py checks that
no modules import each other in a circle)."""
