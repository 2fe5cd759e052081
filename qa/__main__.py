"""``python -m qa`` is the ``planqa`` command."""
import sys

from qa.cli import main

sys.exit(main())
