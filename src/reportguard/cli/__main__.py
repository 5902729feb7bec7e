"""``python -m reportguard.cli``: the same as the ``reportguard`` command."""

from reportguard.cli.main import main

main()
