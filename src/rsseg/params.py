"""Parameter dataclasses built from a section of the workflow's config.

Every section of method settings in ``config/config.yaml`` has one ``*Params`` dataclass whose ``section``
is the section's key; its defaults are the library's and the config restates them (``tests/test_params.py``
checks that the two agree). A field without a default is one the config leaves ``null`` for the workflow to
fill from the dataset (the number of classes). Band settings (:data:`rsseg.config.BAND_SETTINGS`) name
bands of a dataset; the workflow resolves them per dataset, so they are no fields.
"""

import dataclasses
from collections.abc import Mapping
from typing import Any, ClassVar, Self


class FromConfig:
    """Mixin of a parameter dataclass: :meth:`from_config` builds it from its config section ``section``."""

    section: ClassVar[str]
    __dataclass_fields__: ClassVar[dict[str, dataclasses.Field[Any]]]  # every subclass is a dataclass

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None) -> Self:
        """Unknown keys are an error (a typo would otherwise be ignored); missing keys take the defaults."""
        known = {field.name for field in dataclasses.fields(cls)}
        unknown = sorted(set(config or {}) - known)
        if unknown:
            raise ValueError(f"unknown {cls.section} parameter(s) {unknown}; known: {sorted(known)}")
        return cls(**(config or {}))
