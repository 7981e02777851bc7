"""Parameter dataclasses built from a section of the workflow's config.

Every section of method settings in ``config/config.yaml`` has one ``*Params`` dataclass whose ``section``
is the section's key; its defaults are the library's and the config restates them (``tests/test_params.py``
checks that the two agree). A field without a default is one the config leaves ``null`` for the workflow to
fill from the dataset (the number of classes). Band settings (:data:`rsseg.config.BAND_SETTINGS`) name
bands of a dataset; the workflow resolves them per dataset, so they are no fields.

A class's ``bounds`` are the values its numeric fields may take, which the config's schema states too, so
that a run stops at once on a value every job would refuse (``tests/test_params.py`` checks that the two
agree, value by value at the extremes).
"""

import dataclasses
from collections.abc import Mapping
from typing import Any, ClassVar, Self


@dataclasses.dataclass(frozen=True)
class Range:
    """The values a numeric setting may take, in the terms of JSON Schema's ``minimum``, ``maximum``,
    ``exclusiveMinimum`` and ``exclusiveMaximum``; an unset end is open. ``None`` (a setting left to the
    workflow to fill) is never out of range."""

    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: float | None = None
    exclusive_maximum: float | None = None

    def admits(self, value: float | None) -> bool:
        return value is None or (
            (self.minimum is None or value >= self.minimum) and (self.maximum is None or value <= self.maximum)
            and (self.exclusive_minimum is None or value > self.exclusive_minimum)
            and (self.exclusive_maximum is None or value < self.exclusive_maximum))

    def __str__(self) -> str:  # "at least 2 and at most 254"
        ends = [(self.minimum, "at least"), (self.exclusive_minimum, "above"), (self.maximum, "at most"),
                (self.exclusive_maximum, "below")]
        return " and ".join(f"{word} {bound}" for bound, word in ends if bound is not None) or "any number"


class FromConfig:
    """Mixin of a parameter dataclass: :meth:`from_config` builds it from its config section ``section``, and
    every instance is checked against the class's ``bounds``."""

    section: ClassVar[str]
    bounds: ClassVar[Mapping[str, Range]] = {}
    __dataclass_fields__: ClassVar[dict[str, dataclasses.Field[Any]]]  # every subclass is a dataclass

    def __post_init__(self) -> None:
        """Refuse a field outside its :attr:`bounds` (a subclass's own ``__post_init__`` calls this first)."""
        for name, allowed in self.bounds.items():
            value = getattr(self, name)
            if not allowed.admits(value):
                raise ValueError(f"{self.section}.{name} must be {allowed}, got {value}")

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None) -> Self:
        """Unknown keys are an error (a typo would otherwise be ignored); missing keys take the defaults."""
        known = {field.name for field in dataclasses.fields(cls)}
        unknown = sorted(set(config or {}) - known)
        if unknown:
            raise ValueError(f"unknown {cls.section} parameter(s) {unknown}; known: {sorted(known)}")
        return cls(**(config or {}))
