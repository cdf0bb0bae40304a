"""Layer 4, ptychography physics: the NumPy simulator, the dataset factory built on it, and the
TensorFlow smoke test (TensorFlow is imported only inside its training step)."""
