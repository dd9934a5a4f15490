"""The site: pages rendered from the checked archive (``render``, pure), labels and escaping, and the MkDocs
plugin that publishes them (``plugin``, the only module that imports MkDocs) with page workers, the
Pagefind index and the page cache. Hands MkDocs its pages; writes only under ``site/`` and the cache."""
