"""Layer 3, the contract engine: keys and profiles as data, the rule table, the checker with its
streamed value statistics, and the ``[tool.npzcontract]`` configuration that selects them."""
