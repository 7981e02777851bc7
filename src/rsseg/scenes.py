"""Finding a dataset's scenes in its unpacked source. Standard library only: the workflow's own process runs it.

A scene is an image file matching the dataset's ``layout.image`` pattern whose label file (``layout.label``
with the same wildcard values) exists. Besides ``{scene}`` a pattern may hold other wildcards (a split, a
domain: ``{split}/{domain}/images_png/{scene}.png``); the scene's name joins their values with ``_``.
"""

import glob
import random
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from .files import StrPath

UNGEOREFERENCED_SUFFIXES = (".png", ".jpg", ".jpeg")
"""Image formats that carry no georeferencing: their scenes are prepared as GeoTIFFs without a CRS."""
WILDCARD = re.compile(r"\{(\w+)\}")


def expects_georeferencing(layout: Mapping[str, str]) -> bool:
    return not layout["image"].lower().endswith(UNGEOREFERENCED_SUFFIXES)


def find_scenes(root: StrPath, layout: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """``{scene name: {"image": path, "label": path}}`` of the scenes under ``root``, sorted by name.

    Images without a label file (a test split, say) are no scenes: there is nothing to score them against.
    """
    root = Path(root)
    fields = WILDCARD.findall(layout["image"])
    literal = WILDCARD.split(layout["image"])[::2]
    pattern = "".join(re.escape(part) + ("([^/]+)" if i < len(fields) else "") for i, part in enumerate(literal))
    found = {}
    for path in glob.glob(str(root / WILDCARD.sub("*", layout["image"]))):
        match = re.fullmatch(pattern, Path(path).relative_to(root).as_posix())
        if not match:
            continue
        values = dict(zip(fields, match.groups()))
        label = root / layout["label"].format(**values)
        if label.exists():
            name = "_".join([*(values[f] for f in fields if f != "scene"), values["scene"]])
            found[name] = {"image": path, "label": str(label)}
    return dict(sorted(found.items()))


def select_scenes(names: Sequence[str], *, wanted: Sequence[str] | None = None, max_scenes: int | None = None,
                  seed: int = 0, dataset: str = "") -> list[str]:
    """The scenes to run: ``wanted`` (all when None; each must be among ``names``), at most ``max_scenes``
    of them chosen at random from ``seed`` and the dataset's name, in name order."""
    chosen = list(names if wanted is None else wanted)
    missing = sorted(set(chosen) - set(names))
    if missing:
        raise ValueError(f"dataset {dataset}: scenes {missing} are not in its source (found {len(names)})")
    if max_scenes is not None and len(chosen) > max_scenes:
        # a str seed is hashed with sha512: the same choice in every run and Python process
        chosen = random.Random(f"{seed}:{dataset}").sample(chosen, max_scenes)
    return sorted(chosen)
