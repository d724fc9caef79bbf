"""Allows ``python -m ipkg``."""

from ipkg.cli import main

raise SystemExit(main())
