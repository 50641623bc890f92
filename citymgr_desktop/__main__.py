"""``python -m citymgr_desktop`` runs the command line."""

from citymgr_desktop.cli import main

raise SystemExit(main())
