"""Parameter dataclasses built from a section of the workflow's config."""

import dataclasses
from collections.abc import Mapping
from typing import Any, Self


class FromConfig:
    """Mixin of a parameter dataclass: :meth:`from_config` builds it from its config section.

    ``section`` names the section in error messages.
    """

    section = "config"

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None) -> Self:
        """Unknown keys are an error (a typo would otherwise be ignored); missing keys take the defaults."""
        known = {field.name for field in dataclasses.fields(cls)}
        unknown = sorted(set(config or {}) - known)
        if unknown:
            raise ValueError(f"unknown {cls.section} parameter(s) {unknown}; known: {sorted(known)}")
        return cls(**(config or {}))
