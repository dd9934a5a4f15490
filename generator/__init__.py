"""order-archive: records in git, checked against the regulation, published as a site.

The package reads as its pipeline, each folder one stage that imports only
from the stages before it (a test walks the imports):

    core ← records ← rules, trail ← pipeline ← site, workflow ← demo ← cli

``core`` holds what every stage shares (problems, cache files, processes);
``pipeline`` joins records, rules and trail into one checked archive;
``cli`` is the ``orders`` command.
"""
