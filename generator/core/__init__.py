"""What every stage shares: located problems and user errors, cache files, the garbage-collector pause,
process helpers and where the program's own files are. Imports nothing else of the package."""
