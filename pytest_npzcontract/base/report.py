"""Findings are plain data; a report is the list of findings for one file or array set."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field

SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class Finding:
    """One contract observation: ``file: key: rule: message`` with a severity.

    ``hint`` is a one-line fix suggestion (may be empty). ``kind`` is set only when this
    finding's kind differs from its rule's (the advisory heuristic of a policy rule).
    """

    file: str | None
    key: str | None
    rule: str
    severity: str
    message: str
    hint: str = ""
    kind: str = ""

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}, not {self.severity!r}")

    def line(self, *, with_hint: bool = False) -> str:
        """The one-line human form: ``path: [key] severity rule: message``."""
        where = one_line(self.file or "<data>")
        key = f" [{one_line(self.key)}]" if self.key else ""
        text = f"{where}:{key} {self.severity} {self.rule}: {one_line(self.message)}"
        if with_hint and self.hint:
            text += f" (fix: {one_line(self.hint)})"
        return text

    def to_dict(self) -> dict:
        data = asdict(self)
        if not data["kind"]:
            del data["kind"]
        return data


@dataclass
class Report:
    """All findings for one file (or one in-memory array set).

    ``ok`` is true when no finding is an error; ``profile`` names the profile the data was
    checked against.
    """

    file: str | None
    findings: list[Finding] = field(default_factory=list)
    keys: dict[str, dict] = field(default_factory=dict)
    metadata: dict | None = None
    metadata_encoding: str | None = None
    profile: str | None = None
    #: For a remote file: ``{"bytes": received, "requests": range requests, "size": file size}``.
    transfer: dict | None = None

    @property
    def ok(self) -> bool:
        return not any(f.severity == "error" for f in self.findings)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    def rules(self, severity: str | None = None) -> set[str]:
        """Rule ids present, optionally only those of one severity."""
        return {f.rule for f in self.findings if severity is None or f.severity == severity}

    def counts(self) -> dict[str, int]:
        c = Counter(f.severity for f in self.findings)
        return {s: c.get(s, 0) for s in SEVERITIES}

    def to_dict(self) -> dict:
        return {
            "file": self.file,
            "ok": self.ok,
            "profile": self.profile,
            "counts": self.counts(),
            "metadata_encoding": self.metadata_encoding,
            "findings": [f.to_dict() for f in self.findings],
            **({"transfer": dict(self.transfer)} if self.transfer is not None else {}),
        }


_CONTROL = {c: f"\\x{c:02x}" for c in range(32)} | {0x7F: "\\x7f", 10: "\\n", 13: "\\r",
                                                     9: "\\t"}


def one_line(text: str) -> str:
    """``text`` with control characters escaped, so a hostile name cannot split a line."""
    return text.translate(_CONTROL)


def format_findings(findings: list[Finding], *, cap: int = 10, with_hint: bool = True) -> str:
    """Render findings one per line, at most ``cap`` of them, then the count of the rest."""
    if not findings:
        return "no findings"
    order = {s: i for i, s in enumerate(SEVERITIES)}
    shown = sorted(findings, key=lambda f: order[f.severity])[:cap]
    lines = [f.line(with_hint=with_hint) for f in shown]
    rest = len(findings) - len(shown)
    if rest > 0:
        lines.append(f"... and {rest} more finding(s)")
    if len(lines) == 1:
        return lines[0]
    errors = sum(f.severity == "error" for f in findings)
    head = f"{len(findings)} contract finding(s), {errors} error(s):"
    return "\n".join([head, *("  " + line for line in lines)])
