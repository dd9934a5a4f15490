"""The approval trail: the main line of git read in one pass (commits, record versions, field diffs),
cached and prefetched, and judged against organization.yaml and policy.yaml (approvals, four-eyes,
lifecycle moves, published head). Hands versions, approvals and history problems to the pipeline."""
