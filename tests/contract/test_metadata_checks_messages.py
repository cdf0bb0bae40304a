"""The finding for ``_metadata`` that cannot be decoded carries the decoder's words, and is
the only finding about the metadata (no schema or parameter findings follow it)."""

from __future__ import annotations

import numpy as np

from pytest_npzcontract import check_file
from pytest_npzcontract.physics.factory import write_dataset


def test_undecodable_metadata_is_one_finding_in_the_decoders_words(tmp_path):
    good = write_dataset(tmp_path / "good.npz", seed=1)
    with np.load(good) as archive:
        arrays = {k: archive[k] for k in archive.files}
    arrays["_metadata"] = np.array("{not json")
    np.savez(tmp_path / "bad.npz", **arrays)
    findings = [(f.rule, f.key, f.severity, f.message)
                for f in check_file(tmp_path / "bad.npz").findings]
    assert findings == [("metadata-invalid", "_metadata", "error",
                         "_metadata is not valid JSON (Expecting property name enclosed in "
                         "double quotes at line 1 column 2)")]
