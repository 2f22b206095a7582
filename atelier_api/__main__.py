"""``python -m atelier_api``: the command line (see :mod:`atelier_api.cli`)."""

import sys

from atelier_api.cli import main

if __name__ == "__main__":
    sys.exit(main())
