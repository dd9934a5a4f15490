"""Records: finding the files under ``records/``, reading them with the safe YAML reader, validating them
with the models in ``schemas/`` and indexing them into a ``Catalog`` (with the business calendar).
Hands the catalog and its located problems to the rules, the trail and the pipeline."""
