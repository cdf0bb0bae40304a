"""Validation modes and how a rule's severity follows from the mode (SPEC §4)."""

from __future__ import annotations

import enum

from .echo import shown


class ValidationMode(str, enum.Enum):
    """How strictly policy rules (metadata, legacy keys, parameters) are enforced.

    Structural violations are errors in every mode.
    """

    STRICT = "strict"
    WARN = "warn"
    PERMISSIVE = "permissive"

    @classmethod
    def coerce(cls, value: ValidationMode | str | None, default: ValidationMode | None = None
               ) -> ValidationMode:
        """Accept a mode, its name or its value in any case: ``coerce("warn")``."""
        if value is None:
            if default is None:
                raise ValueError("a validation mode is required")
            return default
        if isinstance(value, cls):
            return value
        text = str(value).strip()
        for member in cls:
            if text.lower() in (member.value, member.name.lower()):
                return member
        choices = ", ".join(m.value for m in cls)
        raise ValueError(f"unknown validation mode {shown(value)} (choose from {choices})")

    def __str__(self) -> str:
        return self.value
