"""Layer 1, the metadata model as plain JSON values: creating it, transformation records,
merging, parameters compared with a configuration, the JSON Schema, one file's lineage.
No file I/O beyond hashing inputs; depends only on :mod:`..base`."""
