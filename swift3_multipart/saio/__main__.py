"""``python -m swift3_multipart.saio``: the ``swift3-multipart-saio`` CLI."""

import sys

from swift3_multipart.saio.cli import main

sys.exit(main())
