"""Shared fixtures: synthetic GID-like scenes, a local HTTP server and a tiny copy of the workflow."""

import contextlib
import functools
import hashlib
import http.server
import os
import re
import subprocess
import sys
import tarfile
import threading
import zipfile
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import rasterio
import yaml
from rasterio.transform import from_origin

REPO = Path(__file__).resolve().parents[1]
TEST_DIR = REPO / ".test"
"""The tiny configuration and data that ``snakemake --directory .test`` runs, and the end-to-end tests too."""
TEST_DATA = TEST_DIR / "data"
SNAKEMAKE = [sys.executable, "-m", "snakemake"]
GID5_COLOURS = [(255, 0, 0), (0, 255, 0), (0, 255, 255), (255, 255, 0), (0, 0, 255)]
CRS = "EPSG:32650"


def synthetic_scene(height, width, seed=0, n_regions=12):
    """A 4-band uint8 scene of Voronoi regions, each of one of 5 classes with its own spectrum.

    Returns ``(image (4,h,w), class_map (h,w))``; a no-data corner has all bands 0.
    """
    rng = np.random.default_rng(seed)
    seeds = rng.uniform(0, [height, width], size=(n_regions, 2))
    rows, cols = np.mgrid[0:height, 0:width]
    region = np.argmin((rows[..., None] - seeds[:, 0]) ** 2 + (cols[..., None] - seeds[:, 1]) ** 2, axis=-1)
    region_class = np.arange(n_regions) % 5
    spectra = np.array([[60, 120, 110, 100], [180, 60, 120, 50], [200, 40, 90, 60],
                        [150, 110, 140, 70], [20, 40, 70, 120]], dtype=float)
    classes = region_class[region]
    image = spectra[classes].transpose(2, 0, 1) + rng.normal(0, 6, size=(4, height, width))
    image = np.clip(image, 1, 255).astype(np.uint8)
    image[:, : height // 8, : width // 8] = 0
    return image, classes


def write_gid_like(folder, name, height=96, width=96, seed=0):
    """Write a GID-layout scene: ``image_NirRGB/NAME.tif`` and colour-coded ``label_5classes/NAME_label.tif``."""
    image, classes = synthetic_scene(height, width, seed)
    transform = from_origin(500000.0, 3400000.0, 4.0, 4.0)
    (folder / "image_NirRGB").mkdir(parents=True, exist_ok=True)
    (folder / "label_5classes").mkdir(parents=True, exist_ok=True)
    profile = dict(driver="GTiff", width=width, height=height, crs=CRS, transform=transform)
    with rasterio.open(folder / "image_NirRGB" / f"{name}.tif", "w", count=4, dtype="uint8", **profile) as dst:
        dst.write(image)
    colours = np.array(GID5_COLOURS, dtype=np.uint8)[classes].transpose(2, 0, 1)
    colours[:, : height // 8, : width // 8] = 0
    with rasterio.open(folder / "label_5classes" / f"{name}_label.tif", "w", count=3, dtype="uint8",
                       **profile) as dst:
        dst.write(colours)
    return image, classes


def rewrite(path, change):
    """Rewrite a GeoTIFF with ``change(data, profile) -> (data, profile)`` applied (to corrupt a test scene)."""
    with rasterio.open(path) as src:
        data, profile = src.read(), src.profile
    data, profile = change(data, profile)
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data)


def sha256_file(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture(scope="session", autouse=True)
def private_cache(tmp_path_factory):
    """The FCN's timed compute settings (rsseg.methods.compute) go to a cache of the test session's own,
    for the workflows the tests start too, never to the user's."""
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="session", autouse=True)
def no_slurm_controller(tmp_path_factory):
    """An ``scontrol`` that fails at once first on PATH, for every workflow the tests start but test_slurm's.

    Snakemake's SLURM plugin runs ``scontrol show config`` whenever snakemake starts; where SLURM is installed
    but no controller runs (after test_slurm has installed and stopped one), that waits about 9 s each time.
    test_slurm takes this folder off PATH while its own SLURM runs."""
    folder = tmp_path_factory.mktemp("no-slurm-controller")
    stub = folder / "scontrol"
    stub.write_text("#!/bin/sh\necho 'scontrol: no SLURM controller in this test' >&2\nexit 1\n")
    stub.chmod(0o755)
    os.environ["PATH"] = f"{folder}{os.pathsep}{os.environ['PATH']}"
    return folder


@pytest.fixture(scope="session")
def tiny_archive(tmp_path_factory):
    """A tar.gz of the tiny dataset of ``.test/data`` (two 96x96 GID-like scenes) and its sha256."""
    archive = tmp_path_factory.mktemp("tiny-src") / "tiny.tar.gz"
    with tarfile.open(archive, "w:gz") as tf:
        tf.add(TEST_DATA / "tiny", arcname="tiny")
    return archive, sha256_file(archive)


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serve(folder):
    """Serve ``folder`` over HTTP on 127.0.0.1; yields the base URL."""
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


@pytest.fixture(scope="session")
def http_server(tiny_archive):
    """Serve the archive's folder on 127.0.0.1; yields the base URL."""
    with serve(tiny_archive[0].parent) as url:
        yield url


def tiny_config(url, sha256):
    """The tiny configuration of ``.test/config/config.yaml``, its dataset downloaded from ``url``."""
    config = yaml.safe_load((TEST_DIR / "config" / "config.yaml").read_text())
    config["datasets"]["tiny"].update(source=url, checksum=f"sha256:{sha256}")
    return config


JOB = re.compile(r"^(?:local)?(?:rule|checkpoint) (\w+):$", re.MULTILINE)
"""A job in Snakemake's output, by its rule, as a run starts it and a dry run lists it."""


def jobs_of(done):
    """The jobs a finished ``snakemake`` run started (a dry run: would start), counted by rule."""
    return Counter(JOB.findall(done.stdout + done.stderr))


def error_lines(done):
    return [line for line in done.stderr.splitlines() if line.startswith("error: ")]


def assert_one_line_failure(done, message):
    """The run failed, without a traceback, with a line of the form ``error: <message>...``."""
    assert done.returncode != 0 and "Traceback" not in done.stderr, done.stderr[-3000:]
    assert any(line.startswith(f"error: {message}") for line in error_lines(done)), done.stderr[-3000:]


class Workflow:
    """The repository's workflow run with ``--directory`` in a scratch folder holding its own config."""

    def __init__(self, workdir):
        self.workdir = Path(workdir)

    @property
    def config(self):
        return yaml.safe_load((self.workdir / "config" / "config.yaml").read_text())

    def write_config(self, config):
        (self.workdir / "config").mkdir(parents=True, exist_ok=True)
        (self.workdir / "config" / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))

    def run(self, *args, check=True, timeout=900):
        cmd = [*SNAKEMAKE, "--snakefile", str(REPO / "Snakefile"), "--directory", str(self.workdir),
               "--cores", "2", *args]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
        if check and done.returncode != 0:
            raise AssertionError(f"snakemake failed ({done.returncode}):\n{done.stdout[-4000:]}\n{done.stderr[-8000:]}")
        return done

    def report(self):
        """Build ``report.zip``; returns the names of the files it stores (sorted) and its HTML page."""
        self.run("--report", "report.zip")
        with zipfile.ZipFile(self.workdir / "report.zip") as report:
            stored = sorted(name.rsplit("/", 1)[-1] for name in report.namelist() if "/data/raw/" in name)
            return stored, report.read("report/report.html").decode()


@pytest.fixture
def tiny_workflow(tmp_path, http_server, tiny_archive):
    """A scratch folder set up to run the real workflow on the tiny dataset served over HTTP.

    ``tiny_workflow.run("results/tiny_ami.csv")`` runs snakemake there; ``write_config`` changes settings.
    """
    workflow = Workflow(tmp_path / "work")
    workflow.write_config(tiny_config(f"{http_server}/{tiny_archive[0].name}", tiny_archive[1]))
    return workflow


@pytest.fixture
def local_workflow(tiny_workflow, tmp_path):
    """The tiny workflow on two GID-like scenes in a local folder the test may change or damage first."""
    source = tmp_path / "data"
    for i, name in enumerate(["scene_a", "scene_b"]):
        write_gid_like(source / "tiny", name, seed=i)
    config = tiny_workflow.config
    config["datasets"]["tiny"]["source"] = str(source)
    del config["datasets"]["tiny"]["checksum"]
    tiny_workflow.write_config(config)
    tiny_workflow.source = source / "tiny"
    tiny_workflow.linked = "resources/datasets/tiny/tiny"  # the source as the workflow sees it, and names it
    return tiny_workflow


@pytest.fixture(scope="session")
def tiny_default_run(tmp_path_factory, http_server, tiny_archive):
    """The workflow's default target (tables and report figures) on the tiny dataset, run once per test
    session and shared: tests read its outputs and must not change them."""
    workflow = Workflow(tmp_path_factory.mktemp("tiny-default-run") / "work")
    workflow.write_config(tiny_config(f"{http_server}/{tiny_archive[0].name}", tiny_archive[1]))
    workflow.run()
    return workflow
