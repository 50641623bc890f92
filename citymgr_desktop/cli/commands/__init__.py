"""Sub-commands of ``citymgr``, one module each (discovered by :func:`citymgr_desktop.cli.build_parser`)."""
