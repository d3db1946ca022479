"""``python -m leptoportal.cli`` runs the command line (as ``python -m leptoportal`` does)."""

import sys

from . import main

sys.exit(main())
