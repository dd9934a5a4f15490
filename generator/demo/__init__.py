"""The demo: a fictional company (``company``), its records at every lifecycle stage (``archive``) and a
git history of reviewed merges (``repository``), for the README, the tests and the benchmarks."""
