"""The ``dlbox`` command line: typer apps that parse, build a config and call the Python API."""
