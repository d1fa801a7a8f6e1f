"""``python -m sklearn_microts.cli``: the ``microts`` command line."""

import sys

from ._main import main

sys.exit(main())
