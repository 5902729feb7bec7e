"""The command line, one module per command group; :mod:`reportguard.cli.main` is the root."""
