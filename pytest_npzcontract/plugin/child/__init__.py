"""The directory put first on child processes' ``PYTHONPATH`` while a write audit runs; its
``sitecustomize`` reports the child's NPZ reads and writes to the audit (stdlib only)."""
