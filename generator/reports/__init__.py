"""Reports over the archive: periods, figures with their definitions, and their output (site, command line, CSV)."""
