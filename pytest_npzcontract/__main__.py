"""``python -m pytest_npzcontract``: the ``npzcontract`` command line."""

import sys

from .cli.main import main

if __name__ == "__main__":
    sys.exit(main())
