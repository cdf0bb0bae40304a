"""create_metadata, add_transformation, merge_metadata, config_from_metadata, get_nphotons."""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
from dataclasses import dataclass, field
from importlib import metadata as importlib_metadata

import pytest

from pytest_npzcontract import (
    ContractViolation,
    add_transformation,
    config_from_metadata,
    create_metadata,
    get_nphotons,
    merge_metadata,
    validate_metadata_schema,
)


@dataclass(frozen=True)
class ModelConfig:
    N: int = 64
    gridsize: int = 2
    model_type: str = "pinn"


@dataclass(frozen=True)
class TrainingConfig:
    nphotons: float = 1e6
    n_images: int = 512
    batch_size: int = 16
    nepochs: int = 50
    probe_trainable: bool = False
    model: ModelConfig = field(default_factory=ModelConfig)


def test_create_metadata_from_a_nested_dataclass():
    meta = create_metadata(TrainingConfig(), "scripts/simulate_and_save.py", seed=42, buffer=32)
    assert meta["schema_version"] == "1.0.0"
    assert meta["physics_parameters"] == {"nphotons": 1e6, "N": 64, "gridsize": 2,
                                          "probe_trainable": False, "model_type": "pinn"}
    assert meta["training_parameters"] == {"n_images": 512, "batch_size": 16, "nepochs": 50}
    assert meta["additional_parameters"] == {"seed": 42, "buffer": 32}
    info = meta["creation_info"]
    assert info["script"] == "scripts/simulate_and_save.py"
    assert info["version"] == importlib_metadata.version("pytest-npzcontract")
    stamp = dt.datetime.fromisoformat(info["timestamp"].replace("Z", "+00:00"))
    assert stamp.utcoffset() == dt.timedelta(0) and info["timestamp"].endswith("Z")
    assert abs((dt.datetime.now(dt.timezone.utc) - stamp).total_seconds()) < 60
    assert meta["data_transformations"] == []
    assert validate_metadata_schema(meta) == []


def test_create_metadata_from_mapping_and_object():
    from types import SimpleNamespace

    by_map = create_metadata({"nphotons": 1e9, "model": {"N": 128}}, "s")
    by_obj = create_metadata(SimpleNamespace(nphotons=1e9, model=SimpleNamespace(N=128)), "s")
    assert by_map["physics_parameters"] == by_obj["physics_parameters"] == {"nphotons": 1e9,
                                                                            "N": 128}


def test_add_transformation_returns_new_dict_and_hashes_inputs(tmp_path):
    src = tmp_path / "sim.npz"
    src.write_bytes(b"dataset bytes")
    meta = create_metadata({"nphotons": 1e6}, "sim.py")
    before = copy.deepcopy(meta)
    out = add_transformation(meta, "split_dataset_tool.py", "train_test_split",
                             {"split_fraction": 0.8}, inputs=[src])
    assert meta == before  # input never mutated
    (record,) = out["data_transformations"]
    assert record["tool"] == "split_dataset_tool.py"
    assert record["operation"] == "train_test_split"
    assert record["parameters"] == {"split_fraction": 0.8}
    assert record["inputs"] == [{"name": "sim.npz", "path": str(src),
                                 "sha256": hashlib.sha256(b"dataset bytes").hexdigest()}]
    again = add_transformation(out, "patch.py", "generate_patches", inputs={"a.npz": "ab" * 32})
    assert [r["operation"] for r in again["data_transformations"]] == ["train_test_split",
                                                                       "generate_patches"]
    assert again["data_transformations"][1]["inputs"] == [{"name": "a.npz", "sha256": "ab" * 32}]
    assert len(out["data_transformations"]) == 1
    assert validate_metadata_schema(again) == []


def test_add_transformation_to_missing_metadata():
    out = add_transformation(None, "tool", "op")
    assert out["data_transformations"][0]["tool"] == "tool"
    assert validate_metadata_schema(out) == []


def _meta(nphotons, N=64):
    return create_metadata({"nphotons": nphotons, "N": N, "gridsize": 1}, "sim.py")


def test_merge_preserve_separate_keeps_every_source():
    a, b = _meta(1e6), _meta(1e9)
    merged = merge_metadata([a, b, None], "preserve_separate", sources=["a.npz", "b.npz", "c.npz"])
    assert [s["metadata"] for s in merged["source_datasets"]] == [a, b, None]
    assert [s["path"] for s in merged["source_datasets"]] == ["a.npz", "b.npz", "c.npz"]
    assert merged["physics_parameters"] == {}  # c has none, so nothing is common
    assert merge_metadata([a, _meta(1e6)])["physics_parameters"] == a["physics_parameters"]
    assert merge_metadata([a, b])["physics_parameters"] == {"N": 64, "gridsize": 1}
    assert merged["merge_info"]["strategy"] == "preserve_separate"
    assert validate_metadata_schema(merged) == []


def test_merge_preserve_first_and_validate_consistent():
    a, b = _meta(1e6), _meta(1e9)
    first = merge_metadata([a, b], "preserve_first")
    assert first["physics_parameters"] == a["physics_parameters"]
    assert first["merge_info"]["n_sources"] == 2
    assert merge_metadata([a, _meta(1e6)], "validate_consistent")["physics_parameters"][
        "nphotons"] == 1e6
    with pytest.raises(ContractViolation) as info:
        merge_metadata([a, b], "validate_consistent", sources=["a.npz", "b.npz"])
    (finding,) = info.value.findings
    assert finding.file == "b.npz" and finding.rule == "parameter-mismatch"
    assert "dataset=1e+09" in finding.message and "config=1e+06" in finding.message
    with pytest.raises(ValueError, match="unknown merge strategy"):
        merge_metadata([a], "average")


def test_config_from_metadata_and_nphotons():
    meta = create_metadata(TrainingConfig(), "s")
    cfg = config_from_metadata(meta)
    assert cfg["nphotons"] == 1e6 and cfg["N"] == 64 and cfg["batch_size"] == 16
    assert get_nphotons(meta) == 1e6
    assert get_nphotons(None) is None and get_nphotons({"physics_parameters": {}}) is None
    assert get_nphotons({"physics_parameters": {"nphotons": True}}) is None
    assert config_from_metadata(None) == {}


def test_schema_errors_name_the_field():
    problems = validate_metadata_schema({
        "physics_parameters": {"nphotons": 0, "N": 64.5},
        "data_transformations": [{"tool": "x"}],
    })
    assert any(p.startswith("physics_parameters.nphotons:") for p in problems)
    assert any(p.startswith("physics_parameters.N:") for p in problems)
    assert any(p.startswith("data_transformations[0]:") and "'operation'" in p for p in problems)


def test_readers_tolerate_malformed_sections():
    hostile = {"physics_parameters": ["x"], "training_parameters": "abc"}
    assert get_nphotons(hostile) is None
    assert config_from_metadata(hostile) == {}
    assert get_nphotons(["not", "a", "dict"]) is None
    merged = merge_metadata([hostile, create_metadata({"nphotons": 1e6}, "s")])
    assert merged["physics_parameters"] == {}
