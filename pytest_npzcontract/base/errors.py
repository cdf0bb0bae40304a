"""Exceptions and warnings raised by pytest-npzcontract."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .report import Finding, Report


class NpzContractWarning(UserWarning):
    """Emitted for contract findings whose level is "warning" (WARN mode, advisory rules)."""


class ContractViolation(ValueError):
    """Raised when data breaks the contract or cannot be read safely.

    Every finding is kept on ``.findings``; the message shows them, capped. ``.report`` is the
    whole :class:`~pytest_npzcontract.base.report.Report` (warnings and info too) when the
    violation comes from a check (``npz_check``), else ``None``.

    >>> try:
    ...     load_npz("broken.npz")
    ... except ContractViolation as exc:
    ...     rules = {f.rule for f in exc.findings}
    """

    def __init__(self, message: str | None = None, findings: Iterable[Finding] = ()) -> None:
        self.findings: list[Finding] = list(findings)
        self.report: Report | None = None
        if message is None:
            from .report import format_findings

            message = format_findings(self.findings, cap=10)
        super().__init__(message)

    @property
    def rules(self) -> set[str]:
        """The rule ids of every attached finding."""
        return {f.rule for f in self.findings}
