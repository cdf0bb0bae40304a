"""Layer 0, the vocabulary every other layer speaks: findings and reports, the exceptions and
warning, validation modes, resource limits. Imports nothing from the rest of the package."""
