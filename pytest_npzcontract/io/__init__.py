"""Layer 2, safe reading and writing of ``.npz`` files: zip directory and ``.npy`` headers read
without trusting them, the restricted unpickler, every ``_metadata`` encoding, atomic writes.
Never enables pickle."""
