"""Finding a dataset's scenes in its unpacked source. Standard library only: the workflow's own process runs it.

A scene is an image file matching the dataset's ``layout.image`` pattern whose label file (``layout.label``
with the same wildcard values) exists. Besides ``{scene}`` a pattern may hold other wildcards (a split, a
domain: ``{split}/{domain}/images_png/{scene}.png``); the scene's name joins their values with ``_``.
"""

import glob
import random
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from .files import StrPath

UNGEOREFERENCED_SUFFIXES = (".png", ".jpg", ".jpeg")
"""Image formats that carry no georeferencing: their scenes are prepared as GeoTIFFs without a CRS."""
WILDCARD = re.compile(r"\{(\w+)\}")


def patterns(setting: str | Sequence[str]) -> list[str]:
    """The path patterns of a ``layout`` setting: one, or alternatives in order of preference."""
    return [setting] if isinstance(setting, str) else list(setting)


def expects_georeferencing(layout: Mapping[str, str | Sequence[str]]) -> bool:
    return not patterns(layout["image"])[0].lower().endswith(UNGEOREFERENCED_SUFFIXES)


def matching_images(root: StrPath, image_pattern: str) -> Iterator[dict[str, str]]:
    """The wildcard values of every file under ``root`` matching ``image_pattern``, with its path as ``path``."""
    root = Path(root)
    fields = WILDCARD.findall(image_pattern)
    literal = WILDCARD.split(image_pattern)[::2]
    pattern = "".join(re.escape(part) + ("([^/]+)" if i < len(fields) else "") for i, part in enumerate(literal))
    for path in glob.glob(str(root / WILDCARD.sub("*", image_pattern))):
        match = re.fullmatch(pattern, Path(path).relative_to(root).as_posix())
        if match:
            yield {**dict(zip(fields, match.groups(), strict=True)), "path": path}


def find_scenes(root: StrPath, layout: Mapping[str, str | Sequence[str]]) -> dict[str, dict[str, str]]:
    """``{scene name: {"image": path, "label": path}}`` of the scenes under ``root``, sorted by name.

    ``layout.image`` and ``layout.label`` are patterns or lists of alternatives (a publisher's archives
    unpacked in different ways); for a scene the first image pattern and label pattern that match win.
    Images without a label file (a test split, say) are no scenes: there is nothing to score them against.
    """
    found = {}
    for image_pattern in patterns(layout["image"]):
        fields = WILDCARD.findall(image_pattern)
        for values in matching_images(root, image_pattern):
            labels = [Path(root) / label.format(**values) for label in patterns(layout["label"])]
            label = next((path for path in labels if path.exists()), None)
            name = "_".join([*(values[f] for f in fields if f != "scene"), values["scene"]])
            if label is not None and name not in found:
                found[name] = {"image": values["path"], "label": str(label)}
    return dict(sorted(found.items()))


def why_no_scenes(root: StrPath, layout: Mapping[str, str | Sequence[str]]) -> str:
    """What a source without a scene lacks, for a one-line error: images, or labels where the layout puts them."""
    images = sorted((values for pattern in patterns(layout["image"]) for values in matching_images(root, pattern)),
                    key=lambda values: values["path"])
    image_patterns, label_patterns = " or ".join(patterns(layout["image"])), " or ".join(patterns(layout["label"]))
    if not images:
        return f"no file matches layout.image {image_patterns}"
    expected = Path(patterns(layout["label"])[0].format(**images[0])).as_posix()
    return (f"{len(images)} image(s) match layout.image, but none has its label at layout.label {label_patterns} "
            f"(for {Path(images[0]['path']).relative_to(root).as_posix()}: {expected})")


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
