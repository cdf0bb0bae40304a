"""Schema version policy: same major accepted, newer minor read with a warning, newer major
refused, unversioned read as the oldest; migrate upgrades to the current version."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from pytest_npzcontract import NpzContractWarning
from pytest_npzcontract.base.errors import ContractViolation
from pytest_npzcontract.cli import cli
from pytest_npzcontract.contract.checker import check_file
from pytest_npzcontract.io.reader import load_npz
from pytest_npzcontract.metadata.model import SCHEMA_VERSION, create_metadata, sha256_file
from pytest_npzcontract.metadata.versions import (
    CURRENT,
    OLDEST,
    parse_version,
    upgrade_metadata,
    version_status,
)
from pytest_npzcontract.physics.factory import write_dataset


def dataset(tmp_path, version):
    meta = create_metadata({"nphotons": 1e6, "N": 64}, "tests")
    if version is None:
        del meta["schema_version"]
    else:
        meta["schema_version"] = version
    return write_dataset(tmp_path / f"v{version}.npz", nphotons=1e6,
                         overrides={"_metadata": np.array(json.dumps(meta))})


def test_the_writer_writes_the_current_version():
    assert SCHEMA_VERSION == CURRENT and parse_version(CURRENT) == (1, 0, 0)
    assert parse_version("1.2") == (1, 2, 0) and parse_version("v1") is None


@pytest.mark.parametrize("version, status", [
    (None, "unversioned"), ("1.0.0", "current"), ("1.0", "current"), ("1.0.7", "current"),
    ("1.3.0", "newer-minor"), ("2.0.0", "newer-major"), ("0.9", "older"),
    ("one", "invalid")])
def test_status(version, status):
    meta = {} if version is None else {"schema_version": version}
    assert version_status(meta).status == status
    assert version_status(meta).readable == (status not in ("newer-major", "invalid"))
    if version is None:
        assert version_status(meta).version == OLDEST


def test_checker_and_reader_apply_the_policy(tmp_path):
    for version in (None, "1.0.0"):
        path = dataset(tmp_path, version)
        assert check_file(path).findings == []
        load_npz(path)

    minor = dataset(tmp_path, "1.3.0")
    report = check_file(minor)
    (finding,) = report.findings
    assert report.ok and finding.rule == "metadata-schema" and finding.severity == "warning"
    assert "newer than this reader's 1.0.0" in finding.message
    with pytest.warns(NpzContractWarning, match="read as 1.0"):
        load_npz(minor)

    major = dataset(tmp_path, "2.0.0")
    report = check_file(major)
    assert not report.ok
    assert [f.rule for f in report.errors] == ["metadata-schema"]
    assert "newer major version" in report.errors[0].message
    with pytest.raises(ContractViolation, match="upgrade pytest-npzcontract"):
        load_npz(major)


def test_upgrade_relabels_older_versions_and_refuses_newer_majors():
    upgraded, steps = upgrade_metadata({"physics_parameters": {"nphotons": 1.0}})
    assert upgraded["schema_version"] == CURRENT and steps == [f"none -> {OLDEST}"]
    assert upgrade_metadata({"schema_version": "0.9"})[1] == ["0.9 -> 1.0.0"]
    assert upgrade_metadata({"schema_version": "1.0.0"})[1] == []
    with pytest.raises(ValueError, match="newer major"):
        upgrade_metadata({"schema_version": "2.1"})


def test_migrate_upgrades_unversioned_metadata_and_refuses_newer_majors(tmp_path):
    old = dataset(tmp_path, None)
    result = CliRunner().invoke(cli, ["migrate", "--in-place", str(old)])
    assert result.exit_code == 0, result.output
    assert "schema_version none -> 1.0.0" in result.output
    assert load_npz(old)[1]["schema_version"] == CURRENT

    major = dataset(tmp_path, "2.0.0")
    before = sha256_file(major)
    result = CliRunner().invoke(cli, ["migrate", "--in-place", str(major)])
    assert result.exit_code == 1 and sha256_file(major) == before
    assert "newer major" in result.output
