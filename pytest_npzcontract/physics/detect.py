"""What a legacy file's arrays say about its parameters (the seed's ``detect_dataset_parameters``).

Only what the data determine: ``N`` and ``n_images`` from the headers, ``nphotons`` from the
photon statistics (:func:`~pytest_npzcontract.physics.estimate.estimate_nphotons`). ``gridsize``
is a model setting the arrays do not record, so it is listed as undetermined, never guessed::

    >>> params = detect_dataset_parameters("legacy.npz")
    >>> params["N"], params["n_images"], params["nphotons"]
    (64, 512, 1000231.5)
    >>> params["undetermined"]
    {'gridsize': 'a model setting; the arrays do not record it'}
"""

from __future__ import annotations

import os
from typing import Any

from .estimate import estimate_nphotons, frames_key


def estimate_N(path: str | os.PathLike) -> int | None:
    """The frame size N from the headers: square frames of the diffraction (or ``diff3d``),
    else the probe; ``None`` when neither gives a square size.

    >>> estimate_N("legacy.npz")
    64
    """
    from ..io.reader import inspect_npz

    members = inspect_npz(path)
    key = frames_key(members)
    for name in (key, "probeGuess"):
        member = members.get(name) if name else None
        if member is not None and member.ndim >= 2 and member.shape[-1] == member.shape[-2]:
            return int(member.shape[-1])
    return None


def detect_dataset_parameters(path: str | os.PathLike, *, key: str | None = None
                              ) -> dict[str, Any]:
    """Parameters the file's arrays determine, plus the full dose estimate and what is left
    undetermined (with why). Raises ``ContractViolation`` when the file cannot be read."""
    from ..io.reader import inspect_npz

    members = inspect_npz(path)
    key = key or frames_key(members)
    out: dict[str, Any] = {"frames_key": key}
    undetermined: dict[str, str] = {
        "gridsize": "a model setting; the arrays do not record it"}
    n_pixels = estimate_N(path)
    if n_pixels is not None:
        out["N"] = n_pixels
    else:
        undetermined["N"] = "no square diffraction frames or probe"
    per_image = [members[k].shape[0] for k in (key, "xcoords") if k in members
                 and members[k].ndim >= 1]
    if per_image:
        out["n_images"] = int(per_image[0])
    else:
        undetermined["n_images"] = "no frames or scan coordinates"
    if "objectGuess" in members and members["objectGuess"].ndim == 2:
        out["object_shape"] = list(members["objectGuess"].shape)
    if key is None:
        undetermined["nphotons"] = "no diffraction frames"
    else:
        estimate = estimate_nphotons(path, key=key)
        out["nphotons_estimate"] = estimate.to_dict()
        if estimate.determined:
            out["nphotons"] = estimate.value
            out["data_domain"] = ("counts" if estimate.method in ("counts", "scaled-counts")
                                  else "amplitude")
        else:
            undetermined["nphotons"] = estimate.reason or "undetermined"
    out["undetermined"] = undetermined
    return out
