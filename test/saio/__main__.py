"""``python -m test.saio``: the ``bin/saio`` CLI."""

import sys

from test.saio.cli import main

sys.exit(main())
