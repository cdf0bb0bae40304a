"""A quicklook picture of a dataset: ``npzcontract show FILE --plot out.png``.

Six panels and a caption, :data:`WIDTH` x :data:`HEIGHT` pixels: object amplitude and phase
with the scan positions, probe amplitude and phase, the mean diffraction pattern on a log
scale, photons per pattern (coloured by source for merged files), and the lineage. Works for
canonical, raw (``diff3d``) and legacy files (anything :func:`load_npz` reads); panels whose
data is missing say so. matplotlib is imported only here, through its object API with the Agg
canvas (no pyplot, no global backend switch)::

    >>> plot_file("train.npz", "train.png")
    (1300, 900)
"""

from __future__ import annotations

import math
import os
import textwrap
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..contract.sources import source_entries, source_nphotons
from ..io.reader import load_npz
from ..metadata.model import get_nphotons

WIDTH, HEIGHT, DPI = 1300, 900, 100
_CAPTION_WIDTH = 140


class PlotUnavailable(RuntimeError):
    """matplotlib is not installed (``pip install '.[plot]'`` in the pytest-npzcontract checkout)."""


def plot_file(path: str | os.PathLike, output: str | os.PathLike) -> tuple[int, int]:
    """Draw ``path`` into the PNG ``output``; returns its (width, height) in pixels.

    Raises ``ContractViolation`` when the file cannot be read safely, :class:`PlotUnavailable`
    without matplotlib.
    """
    arrays, metadata = load_npz(path)
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise PlotUnavailable("--plot needs matplotlib: pip install '.[plot]' in the "
                              "pytest-npzcontract checkout") from None
    fig = Figure(figsize=(WIDTH / DPI, HEIGHT / DPI), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    grid = fig.add_gridspec(3, 3, height_ratios=[1, 1, 0.2])
    panels = [fig.add_subplot(grid[r, c]) for r in range(2) for c in range(3)]
    obj, probe = _array(arrays, "objectGuess", 2), _array(arrays, "probeGuess", 2)
    coords = (arrays.get("xcoords"), arrays.get("ycoords"))
    _complex_pair(fig, panels[0], panels[1], obj, "object", coords)
    _mean_pattern(fig, panels[2], arrays)
    _complex_pair(fig, panels[3], panels[4], probe, "probe", None)
    _photons(panels[5], arrays, metadata)
    caption = fig.add_subplot(grid[2, :])
    caption.axis("off")
    text = caption.text(0, 1, "\n".join(caption_lines(metadata)), va="top", ha="left",
                        fontsize=9, family="monospace", transform=caption.transAxes)
    text.set_in_layout(False)  # wrapped to fit; it must not squeeze the panels
    fig.suptitle(_title(path, arrays, metadata), fontsize=12)
    fig.savefig(output, format="png", dpi=DPI)
    return WIDTH, HEIGHT


def _array(arrays: Mapping[str, np.ndarray], key: str, ndim: int) -> np.ndarray | None:
    value = arrays.get(key)
    if value is None or value.dtype.kind not in "biufc" or value.size == 0:
        return None
    value = np.squeeze(value) if value.ndim > ndim else value
    return value if value.ndim == ndim else None


def _diffraction(arrays: Mapping[str, np.ndarray]) -> tuple[np.ndarray | None, bool]:
    """Frames (n, N, N) and whether they are counts (integer intensity) or amplitudes."""
    for key in ("diffraction", "diff3d"):
        value = arrays.get(key)
        if value is not None and value.dtype.kind in "biuf" and value.ndim >= 3 and value.size:
            return value.reshape(value.shape[:3]), value.dtype.kind in "biu"
    return None, False


def _missing(ax: Any, title: str, what: str) -> None:
    ax.set_title(title)
    ax.text(0.5, 0.5, f"{what} not in file", ha="center", va="center",
            transform=ax.transAxes, color="0.4")
    ax.set_xticks([])
    ax.set_yticks([])


def _complex_pair(fig: Any, amp_ax: Any, phase_ax: Any, value: np.ndarray | None, name: str,
                  coords: tuple[Any, Any] | None) -> None:
    if value is None:
        _missing(amp_ax, f"{name} amplitude", f"{name}Guess")
        _missing(phase_ax, f"{name} phase", f"{name}Guess")
        return
    amplitude = np.abs(value)
    phase = np.angle(value) if value.dtype.kind == "c" else np.zeros(value.shape)
    image = amp_ax.imshow(amplitude, cmap="gray", origin="upper")
    fig.colorbar(image, ax=amp_ax, label="|amplitude|", shrink=0.9)
    # phase is noise where there is no amplitude: leave those pixels blank
    weak = amplitude < 0.05 * float(amplitude.max()) if amplitude.size else amplitude > 0
    cmap = _colormap("twilight")
    image = phase_ax.imshow(np.ma.masked_where(weak, phase), cmap=cmap, vmin=-math.pi,
                            vmax=math.pi, origin="upper")
    label = "phase (rad); grey: |amplitude| < 5%" if weak.any() else "phase (rad)"
    fig.colorbar(image, ax=phase_ax, label=label, shrink=0.9, ticks=[-3, -1.5, 0, 1.5, 3])
    for ax, what in ((amp_ax, "amplitude"), (phase_ax, "phase")):
        ax.set_title(f"{name} {what}")
        ax.set_xlabel("x (pixels)")
        ax.set_ylabel("y (pixels)")
    if coords is not None and coords[0] is not None and coords[1] is not None:
        x, y = np.ravel(coords[0]), np.ravel(coords[1])
        if x.shape == y.shape and x.size:
            label = _positions_label(x, y)
            for ax in (amp_ax, phase_ax):
                ax.scatter(x, y, s=max(2.0, 30.0 / math.sqrt(x.size)), c="tab:orange",
                           edgecolors="none", label=label)
                ax.set_xlim(-0.5, value.shape[1] - 0.5)
                ax.set_ylim(value.shape[0] - 0.5, -0.5)
            amp_ax.legend(loc="lower right", fontsize=7, framealpha=0.7)


def _positions_label(x: np.ndarray, y: np.ndarray) -> str:
    """Distinct positions (a merge's sources may share them), and the patterns if more."""
    finite = np.isfinite(x) & np.isfinite(y)
    distinct = len({(float(a), float(b)) for a, b in zip(x[finite], y[finite], strict=True)})
    label = f"{distinct} scan position{'s' if distinct != 1 else ''}"
    return label + (f" ({x.size} patterns)" if distinct != x.size else "")


def _colormap(name: str) -> Any:
    from matplotlib import colormaps

    return colormaps[name].with_extremes(bad="0.85")


def _mean_pattern(fig: Any, ax: Any, arrays: Mapping[str, np.ndarray]) -> None:
    frames, counts = _diffraction(arrays)
    if frames is None:
        _missing(ax, "mean diffraction", "diffraction")
        return
    from matplotlib.colors import LogNorm

    mean = np.zeros(frames.shape[1:], dtype=np.float64)
    for start in range(0, frames.shape[0], 256):  # bounded temporaries
        chunk = frames[start:start + 256].astype(np.float64)
        chunk[~np.isfinite(chunk)] = 0.0  # NaN/inf frames are marked in the photons panel
        mean += np.sum(chunk if counts else chunk ** 2, axis=0)
    mean /= max(frames.shape[0], 1)
    positive = mean[mean > 0]
    top = float(positive.max()) if positive.size else 1.0
    low = max(float(positive.min()) if positive.size else top * 1e-6, top * 1e-7)
    image = ax.imshow(np.where(mean > 0, mean, low), cmap="viridis",
                      norm=LogNorm(vmin=low, vmax=top))
    fig.colorbar(image, ax=ax, label="mean counts" if counts else "mean amplitude²",
                 shrink=0.9)
    ax.set_title(f"mean diffraction, log scale ({frames.shape[0]})")
    ax.set_xlabel("detector x (pixels)")
    ax.set_ylabel("detector y (pixels)")


def photon_series(arrays: Mapping[str, np.ndarray], metadata: Mapping | None
                  ) -> list[tuple[str, float | None, np.ndarray, np.ndarray, str]]:
    """Per source (one group unless merged): label, recorded nphotons, pattern indices,
    photons per pattern and how they were obtained: ``"sum of counts"``, ``"from the data"``
    (squared amplitudes over the Poisson lattice spacing, ``physics/estimate.py``) or, when the
    data has no lattice, ``"recorded x relative sum A²"`` / ``"sum A², stored units"``."""
    frames, counts = _diffraction(arrays)
    if frames is None:
        return []
    sums, squares = np.zeros(len(frames)), np.zeros(len(frames))
    for i, frame in enumerate(frames):
        finite = np.where(np.isfinite(frame), frame, 0).astype(np.float64)
        sums[i], squares[i] = finite.sum(), np.square(finite).sum()
    groups = _groups(arrays, metadata, len(frames))
    out = []
    for (label, dose, members), found in zip(groups, _spacings(frames, groups), strict=True):
        if counts:
            values, how = sums[members], "sum of counts"
        elif found is not None:
            method, spacing = found
            values = (sums if method == "scaled-counts" else squares)[members] / spacing
            how = "from the data"
        elif dose is not None and squares[members].size and squares[members].mean() > 0:
            values = squares[members] * dose / squares[members].mean()
            how = "recorded x relative sum A²"
        else:
            values, how = squares[members], "sum A², stored units"
        out.append((label, dose, members, values, how))
    return out


def _photons(ax: Any, arrays: Mapping[str, np.ndarray], metadata: Mapping | None) -> None:
    series = photon_series(arrays, metadata)
    if not series:
        _missing(ax, "photons per pattern", "diffraction")
        return
    for label, dose, members, values, how in series:
        mean = f", mean {values.mean():.3g}" if values.size else ""
        points = ax.plot(members, values, ".", ms=4, label=f"{label} ({how}{mean})")
        if dose is not None:
            ax.axhline(dose, lw=0.8, ls="--", color=points[0].get_color(),
                       label=f"{label}: recorded nphotons {dose:g}")
    bad = nonfinite_frames(arrays)
    for number, index in enumerate(bad[:20]):
        ax.axvline(index, color="red", lw=1.2, alpha=0.8,
                   label=_bad_label(bad) if number == 0 else None)
    measured = all(how in ("sum of counts", "from the data") for *_, how in series)
    ax.set_title("photons per pattern" + (f": {len(bad)} NaN/inf frame(s)" if bad else ""),
                 color="red" if bad else "black")
    ax.set_ylabel("photons" if measured else "photons or sum A² (see legend)")
    values = np.concatenate([v for *_, v, _ in series])
    positive = values[np.isfinite(values) & (values > 0)]
    doses = [d for _, d, *_ in series if d]
    if positive.size and max([positive.max(), *doses]) > 30 * min([positive.min(), *doses]):
        ax.set_yscale("log")
    else:
        # plain numbers on the ticks: matplotlib's offset text ("1e6", "+1e6") sits where
        # the title is and collides with it
        from matplotlib.ticker import FuncFormatter

        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.4g}"))
    ax.set_xlabel("pattern index")
    ax.legend(fontsize=6.5, loc="best", framealpha=0.7)


def nonfinite_frames(arrays: Mapping[str, np.ndarray]) -> list[int]:
    """Indices of the frames holding a NaN or an infinity (marked on the picture)."""
    frames, _ = _diffraction(arrays)
    if frames is None or frames.dtype.kind != "f":
        return []
    bad: list[int] = []
    for start in range(0, frames.shape[0], 256):  # bounded temporaries
        chunk = frames[start:start + 256]
        flags = ~np.isfinite(chunk).reshape(chunk.shape[0], -1).all(axis=1)
        bad += [start + int(i) for i in np.flatnonzero(flags)]
    return bad


def _bad_label(bad: list[int]) -> str:
    shown = ", ".join(map(str, bad[:5])) + (", ..." if len(bad) > 5 else "")
    return f"NaN/inf: frame{'s' if len(bad) > 1 else ''} {shown}"


def _spacings(frames: np.ndarray, groups: list[tuple[str, float | None, np.ndarray]]
              ) -> list[tuple[str, float] | None]:
    """Per group, the photon lattice of its frames (method, spacing) or None when the data has
    none (see ``physics/estimate.py``): then photons cannot be read from the data."""
    from ..physics.estimate import NphotonsAccumulator

    labels = np.empty(len(frames), dtype=np.intp)
    for number, (_, _, members) in enumerate(groups):
        labels[members] = number
    accumulator = NphotonsAccumulator(frames.dtype, frames.shape[1] * frames.shape[2],
                                      labels=labels)
    for start in range(0, len(frames), 256):
        chunk = np.ascontiguousarray(frames[start:start + 256]).ravel()
        if chunk.dtype.kind == "f" and not np.isfinite(chunk).all():
            chunk = np.where(np.isfinite(chunk), chunk, 0)  # marked frames; read the rest
        accumulator.update(chunk)
    results = accumulator.results()
    out: list[tuple[str, float] | None] = []
    for number in range(len(groups)):
        estimate = results.get(number)
        ok = estimate is not None and estimate.determined and estimate.spacing
        out.append((estimate.method, float(estimate.spacing)) if ok else None)
    return out


def _groups(arrays: Mapping[str, np.ndarray], metadata: Mapping | None,
            n: int) -> list[tuple[str, float | None, np.ndarray]]:
    entries = source_entries(metadata)
    index = arrays.get("source_index")
    if entries and index is not None and index.shape == (n,) and index.dtype.kind in "iu":
        out = []
        for i, entry in enumerate(entries):
            members = np.flatnonzero(index == i)
            dose = source_nphotons(entry)
            name = os.path.basename(str(entry.get("path") or f"source {i}"))
            out.append((f"[{i}] {name}", dose, members))
        return out
    return [("all", get_nphotons(metadata), np.arange(n))]


def _title(path: str | os.PathLike, arrays: Mapping[str, np.ndarray],
           metadata: Mapping | None) -> str:
    frames, counts = _diffraction(arrays)
    parts = [os.path.basename(os.fspath(path))]
    if frames is not None:
        parts.append(f"{frames.shape[0]} patterns of {frames.shape[1]}x{frames.shape[2]}"
                     + (" (counts)" if counts else ""))
    entries = source_entries(metadata)
    doses = [source_nphotons(e) for e in entries]
    if entries and all(doses):
        parts.append("nphotons " + ", ".join(f"{d:g}" for d in doses))
    elif get_nphotons(metadata):
        parts.append(f"nphotons {get_nphotons(metadata):g}")
    else:
        parts.append("nphotons not recorded")
    return "  |  ".join(parts)


def caption_lines(metadata: Mapping | None) -> list[str]:
    """The lineage in a few wrapped lines: creation, each operation, merged sources."""
    if not isinstance(metadata, Mapping):
        return ["lineage: no _metadata (nothing recorded about this file's origin)"]
    steps = []
    created = metadata.get("creation_info")
    if isinstance(created, Mapping):
        steps.append(f"created by {created.get('script') or '?'} at "
                     f"{str(created.get('timestamp') or '?')[:19]}")
    records = metadata.get("data_transformations")
    for record in records if isinstance(records, list) else []:
        if isinstance(record, Mapping):
            inputs = [str(i.get("name")) for i in record.get("inputs") or []
                      if isinstance(i, Mapping)]
            steps.append(f"{record.get('operation') or '?'} ({record.get('tool') or '?'}"
                         + (f"; from {', '.join(inputs)}" if inputs else "") + ")")
    lines = textwrap.wrap("lineage: " + " -> ".join(steps or ["nothing recorded"]),
                          _CAPTION_WIDTH, subsequent_indent="  ")
    for i, entry in enumerate(source_entries(metadata)):
        dose = source_nphotons(entry)
        lines.append(f"  source [{i}] {entry.get('path') or '?'}: {entry.get('n_images', '?')} "
                     f"images, nphotons {dose:g}" if dose else
                     f"  source [{i}] {entry.get('path') or '?'}: nphotons not recorded")
    return lines[:8]
