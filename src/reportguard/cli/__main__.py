"""``python -m reportguard.cli``: the same as the ``reportguard`` command."""

from reportguard.cli.main import main

if __name__ == "__main__":
    main()
