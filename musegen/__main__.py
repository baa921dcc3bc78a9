"""python -m musegen: the command line (musegen.cli)."""
from .cli import main

raise SystemExit(main())
