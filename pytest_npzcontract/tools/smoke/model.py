"""The smoke test's TensorFlow part: a tiny CNN with the ptychographic forward model and a
Poisson loss on photon counts. TensorFlow is imported only when :func:`train` runs.

    >>> result = train(diffraction, probe, nphotons=1e6, steps=30)  # doctest: +SKIP
    >>> result.loss_last < result.loss_first                         # doctest: +SKIP
    True
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import INSTALL_HINT

_EPS = 1e-6


def import_tensorflow() -> Any:
    """Import TensorFlow quietly, or raise ``ModuleNotFoundError`` with the install hint."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    quiet = "tensorflow" not in sys.modules and os.environ["TF_CPP_MIN_LOG_LEVEL"] != "0"
    try:
        with _native_stderr_silenced() if quiet else contextlib.nullcontext():
            import tensorflow as tf
    except ModuleNotFoundError as exc:
        raise ModuleNotFoundError(f"TensorFlow is not installed: {INSTALL_HINT}") from exc
    return tf


@contextlib.contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """Point file descriptor 2 at /dev/null for the duration of the block.

    TensorFlow >= 2.19 prints oneDNN/absl notices from C++ during import, before
    TF_CPP_MIN_LOG_LEVEL takes effect (tensorflow/tensorflow#100442); Python exceptions are
    unaffected since they are printed, if at all, after the block.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def pattern_energy(diffraction: np.ndarray) -> float:
    """``mean_i sum X_i^2`` over the patterns, in float64."""
    return float(np.mean(np.sum(np.square(diffraction, dtype=np.float64), axis=(1, 2))))


def photon_scale(diffraction: np.ndarray, nphotons: float) -> float:
    """The scale s with ``mean_i sum (s X_i)^2 == nphotons``.

    Stored amplitudes are X = sqrt(counts) / s and the counts average nphotons per pattern, so
    this recovers the simulator's s up to the shot noise of the total (relative error about
    1 / sqrt(n_images * nphotons)). This is how training derives its photon scale from the
    metadata's nphotons: a wrong nphotons gives a wrong s and a wrong expected count.
    """
    return float(np.sqrt(nphotons / pattern_energy(diffraction)))


def counts_from_amplitude(diffraction: np.ndarray, scale: float) -> np.ndarray:
    """Photon counts recovered from stored amplitudes: ``round((s X)^2)`` (float32)."""
    return np.rint(np.square(diffraction.astype(np.float64) * scale)).astype(np.float32)


@dataclass
class TrainResult:
    """Losses of one training run, and the nphotons and photon scale s it trained with."""

    losses: list[float]
    loss_first: float
    loss_last: float
    nphotons: float
    scale: float


def build_network(N: int) -> Any:
    """A few Conv2D layers: amplitude (N, N, 1) -> object patch as (amplitude, phase) channels.

    Amplitude is a sigmoid in (0, 1), phase is pi * tanh; the patch is amplitude * exp(i phase).
    """
    tf = import_tensorflow()
    keras = tf.keras
    inputs = keras.Input(shape=(N, N, 1))
    hidden = inputs
    for filters, dilation in ((16, 1), (16, 2), (16, 4)):
        hidden = keras.layers.Conv2D(filters, 3, padding="same", activation="relu",
                                     dilation_rate=dilation)(hidden)
    outputs = keras.layers.Conv2D(2, 3, padding="same")(hidden)
    return keras.Model(inputs, outputs, name="npzcontract_smoke")


def expected_counts(tf: Any, raw: Any, probe: Any, scale: Any, N: int) -> Any:
    """Forward model: lambda = (s |FFT2(O P)| / N)^2 with the DC centred, like the stored data.

    Written as re^2 + im^2 rather than abs()^2, whose gradient is undefined at zero.
    """
    amplitude = tf.sigmoid(raw[..., 0])
    phase = np.pi * tf.tanh(raw[..., 1])
    patch = tf.complex(amplitude * tf.cos(phase), amplitude * tf.sin(phase))
    far_field = tf.signal.fftshift(tf.signal.fft2d(patch * probe), axes=(-2, -1))
    power = tf.math.real(far_field) ** 2 + tf.math.imag(far_field) ** 2
    return tf.square(scale / N) * power


def poisson_nll(tf: Any, lam: Any, counts: Any) -> Any:
    """Poisson negative log-likelihood without the constant log(counts!) term."""
    return tf.reduce_mean(lam - counts * tf.math.log(lam + _EPS))


def train(diffraction: np.ndarray, probe: np.ndarray, nphotons: float, *, steps: int = 30,
          seed: int = 0, learning_rate: float = 1e-2) -> TrainResult:
    """Full-batch Adam on the Poisson NLL of the photon counts under the forward model.

    The photon scale s comes from ``nphotons`` (:func:`photon_scale`) and the target counts
    from the stored amplitudes (:func:`counts_from_amplitude`). ``losses[k]`` is the loss
    before update k; ``loss_last`` is evaluated after the last one.
    """
    tf = import_tensorflow()
    tf.keras.utils.set_random_seed(seed)
    N = diffraction.shape[-1]
    scale = photon_scale(diffraction, nphotons)
    # Network input normalized to unit RMS so the same learning rate suits any nphotons.
    rms = float(np.sqrt(np.mean(np.square(diffraction, dtype=np.float64)))) or 1.0
    inputs = tf.constant((diffraction / rms)[..., None], dtype=tf.float32)
    targets = tf.constant(counts_from_amplitude(diffraction, scale), dtype=tf.float32)
    probe_t = tf.constant(probe, dtype=tf.complex64)
    scale_t = tf.constant(scale, dtype=tf.float32)

    network = build_network(N)
    optimizer = tf.keras.optimizers.Adam(learning_rate)
    optimizer.build(network.trainable_variables)

    def loss_fn() -> Any:
        lam = expected_counts(tf, network(inputs, training=True), probe_t, scale_t, N)
        return poisson_nll(tf, lam, targets)

    @tf.function
    def step() -> Any:
        with tf.GradientTape() as tape:
            loss = loss_fn()
        grads = tape.gradient(loss, network.trainable_variables)
        optimizer.apply_gradients(zip(grads, network.trainable_variables, strict=True))
        return loss

    losses = [float(step()) for _ in range(steps)]
    loss_last = float(tf.function(loss_fn)())
    return TrainResult(losses=losses, loss_first=losses[0] if losses else loss_last,
                       loss_last=loss_last, nphotons=nphotons, scale=scale)
