"""What staff run around git: ``new`` (a record with the next free number), ``check`` (a branch as a pull
request), ``approve`` (a reviewed merge), ``init`` and ``codeowners`` (a company's archive repository).
Built on the pipeline; hands the CLI results and refusals as ``UserError``."""
