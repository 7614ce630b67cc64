"""Find, check and (offline) build the MediaPipe pose landmarker ``.task`` bundle.

Where the model comes from
--------------------------
1. An official Google bundle dropped into ``models/`` is preferred, in the order
   ``pose_landmarker_full.task`` (good speed/accuracy balance, our default),
   ``pose_landmarker_heavy.task`` (more accurate, about 3x slower on CPU),
   ``pose_landmarker_lite.task`` (fastest, least accurate).
2. Otherwise our own ``pose_landmarker_full_built.task``, made by :func:`build_model`
   (``posecoach setup-model``) from the two BlazePose ``.tflite`` files that the
   ``mediapipe==0.10.14`` wheel on PyPI carries.  The wheel is only read as a zip,
   never installed.  The landmark network lacks the TFLite metadata the Tasks API
   needs, so we add a ``NormalizationOptions(mean=0, std=255)`` entry (the input is
   RGB in [0, 1]).  See ``/work/shared/MODEL.md`` for how this was established.

Integrity
---------
:func:`build_model` records the bundle's size and sha256 beside it, in
``pose_landmarker_full_built.task.sha256.json`` (written atomically), and :func:`check_model`
verifies them: a damaged (bit-flipped, truncated, replaced) model is refused with a one-line
error saying to rebuild it.  The file is hashed once per process (about 20 ms), again only when
its path, size or modification time change.  A built bundle without a record, made before
records were written, is accepted only if it is byte for byte a known build (the build is
deterministic: fixed inputs checked by sha256, fixed zip dates).  Official bundles dropped in
by the user have no record of ours and get the structural checks only, unless a record is put
beside them.

The models folder is ``$POSECOACH_MODEL_DIR`` if set, else the repository's
``models/`` folder (``src/posecoach/../../models``), else ``./models``.

This module does not import ``mediapipe`` (only its generated flatbuffer schema
files are loaded, by path, when building).  It never prints, except in
:func:`setup_model_main`, the ``posecoach setup-model`` entry.
"""

from __future__ import annotations

import argparse
import errno
import hashlib
import importlib.util
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from types import ModuleType

from posecoach.errors import ModelError
from posecoach.io.atomic import atomic_open

__all__ = [
    "BUILT_NAME",
    "MANIFEST_SUFFIX",
    "MEMBERS",
    "OFFICIAL_NAMES",
    "build_model",
    "check_model",
    "default_models_dir",
    "ensure_model",
    "find_model",
    "manifest_path",
    "setup_model_main",
    "write_manifest",
]

#: Official bundles, in order of preference.
OFFICIAL_NAMES: tuple[str, ...] = (
    "pose_landmarker_full.task",
    "pose_landmarker_heavy.task",
    "pose_landmarker_lite.task",
)
#: The bundle :func:`build_model` writes.
BUILT_NAME = "pose_landmarker_full_built.task"
#: The record of a bundle's size and sha256, beside it: ``<bundle name><MANIFEST_SUFFIX>``.
MANIFEST_SUFFIX = ".sha256.json"
#: sha256 of the bundles :func:`build_model` makes (deterministic); a built bundle with no record
#: is accepted only if it is one of these.  mediapipe 0.10.14 wheel, flatbuffers 25.12.19:
KNOWN_BUILT_SHA256: frozenset[str] = frozenset({
    "50d684f32c641a5caeb40be2a84a917bf6bf09801c251a392eb9f04cc5233ad5",
})
#: The two members every pose landmarker bundle must hold.
MEMBERS: tuple[str, str] = ("pose_detector.tflite", "pose_landmarks_detector.tflite")

WHEEL_VERSION = "0.10.14"
_WHEEL_GLOB = f"mediapipe-{WHEEL_VERSION}-cp311-cp311-manylinux*x86_64.whl"
# wheel member -> (bundle member, size in bytes, sha256); identical in 0.10.9 ... 0.10.21.
_SOURCES: dict[str, tuple[str, int, str]] = {
    "mediapipe/modules/pose_detection/pose_detection.tflite": (
        "pose_detector.tflite",
        2_959_046,
        "9ba9dd3d42efaaba86b4ff0122b06f29c4122e756b329d89dca1e297fd8f866c",
    ),
    "mediapipe/modules/pose_landmark/pose_landmark_full.tflite": (
        "pose_landmarks_detector.tflite",
        6_440_512,
        "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f",
    ),
}
#: The proxy ``io.estimator.block_usage_logging`` sets, in a scheme libcurl does not know, so that
#: each of MediaPipe's usage-log posts fails at once; pip, which downloads the wheel, must not get it.
NO_NETWORK_PROXY = "posecoach-offline://usage-logging-blocked"
_FIX = "run `posecoach setup-model` (or drop an official pose_landmarker_full.task into models/)"


# --------------------------------------------------------------------------- finding


def default_models_dir() -> Path:
    """``$POSECOACH_MODEL_DIR``, else the repository's ``models/``, else ``./models``."""
    env = os.environ.get("POSECOACH_MODEL_DIR")
    if env:
        return Path(env).expanduser()
    repo = Path(__file__).resolve().parents[3]
    if (repo / "models").is_dir() or (repo / "pyproject.toml").is_file():
        return repo / "models"
    return Path.cwd() / "models"


def find_model(models_dir: str | os.PathLike[str] | None = None) -> Path:
    """Return the checked path of the model bundle to use.

    ``models_dir`` may be a folder (searched for an official bundle, then the
    built one) or an explicit ``.task`` file.  Raises :class:`ModelError` when
    nothing usable is found, or when the file found is corrupt.
    """
    target = Path(models_dir).expanduser() if models_dir is not None else default_models_dir()
    if target.suffix == ".task" and not target.is_dir():
        if not target.is_file():
            raise ModelError(f"model file {target} does not exist; check the path or {_FIX}")
        check_model(target)
        return target
    for name in (*OFFICIAL_NAMES, BUILT_NAME):
        candidate = target / name
        if candidate.is_file():
            check_model(candidate)
            return candidate
    raise ModelError(f"no pose model found in {target}; {_FIX}")


def check_model(path: str | os.PathLike[str]) -> Path:
    """Check that ``path`` is a readable, stored (uncompressed) bundle with both members."""
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"model file {path} does not exist; {_FIX}")
    try:
        with zipfile.ZipFile(path) as zf:
            infos = {info.filename: info for info in zf.infolist()}
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ModelError(_corrupt(path, f"not a readable zip ({exc})")) from None
    missing = [m for m in MEMBERS if m not in infos]
    if missing:
        raise ModelError(_corrupt(path, f"missing {', '.join(missing)}"))
    deflated = [m for m in MEMBERS if infos[m].compress_type != zipfile.ZIP_STORED]
    if deflated:
        raise ModelError(_corrupt(path, f"{', '.join(deflated)} is compressed, it must be stored"))
    too_small = [m for m in MEMBERS if infos[m].file_size < 1024]
    if too_small:
        raise ModelError(_corrupt(path, f"{', '.join(too_small)} is truncated"))
    _verify_checksum(path)
    return path


# (path, size, mtime, the record's size and mtime) of the bundles whose checksum was verified
_verified: set[tuple[object, ...]] = set()


def _rebuild(path: Path) -> str:
    if path.name == BUILT_NAME:
        return "run `posecoach setup-model` (or ./run.sh) to rebuild it"
    return "replace it with a good copy, or delete it and run `posecoach setup-model`"


def manifest_path(bundle: str | os.PathLike[str]) -> Path:
    """Where the size and sha256 of ``bundle`` are recorded."""
    bundle = Path(bundle)
    return bundle.with_name(bundle.name + MANIFEST_SUFFIX)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_manifest(bundle: str | os.PathLike[str]) -> Path:
    """Record ``bundle``'s size and sha256 beside it (atomically); return the record's path."""
    bundle = Path(bundle)
    record = {"file": bundle.name, "size": bundle.stat().st_size, "sha256": _sha256(bundle)}
    out = manifest_path(bundle)
    with atomic_open(out, "w") as fh:
        fh.write(json.dumps(record, indent=2) + "\n")
    return out


def _read_manifest(record: Path, bundle: Path) -> tuple[int, str]:
    """The recorded (size, sha256) of ``bundle``; ModelError when the record is unreadable."""
    try:
        data = json.loads(record.read_text(encoding="utf-8"))
        size, sha = data["size"], data["sha256"]
        if not isinstance(size, int) or not isinstance(sha, str) or len(sha) != 64:
            raise ValueError("bad size or sha256")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelError(f"the checksum record {record} of model file {bundle} is unreadable ({exc}); "
                         f"{_rebuild(bundle)}") from None
    return size, sha.lower()


def _verify_checksum(path: Path) -> None:
    """Refuse ``path`` when it differs from its recorded sha256 (see Integrity above); cached per process."""
    st = path.stat()
    record = manifest_path(path)
    try:
        rst = record.stat()
        rkey: tuple[int, int] | None = (rst.st_size, rst.st_mtime_ns)
    except FileNotFoundError:
        rkey = None
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns, rkey)
    if key in _verified:
        return
    if rkey is None and path.name != BUILT_NAME:
        _verified.add(key)  # an official bundle: Google's, with no record of ours
        return
    if rkey is None:
        if _sha256(path) not in KNOWN_BUILT_SHA256:
            raise ModelError(f"model file {path} has no checksum record ({record.name}) and is not a known build; "
                             f"{_rebuild(path)}")
    else:
        size, sha = _read_manifest(record, path)
        if st.st_size != size or _sha256(path) != sha:
            raise ModelError(f"model file {path} is damaged: it differs from the sha256 recorded when it was built; "
                             f"{_rebuild(path)}")
    _verified.add(key)


def _corrupt(path: Path, why: str) -> str:
    return f"model file {path} is corrupt: {why}; delete it and run `posecoach setup-model`"


# --------------------------------------------------------------------------- building


def ensure_model(models_dir: str | os.PathLike[str] | None = None) -> Path:
    """:func:`find_model`, building the model into the models folder when none is found."""
    try:
        return find_model(models_dir)
    except ModelError:
        target = Path(models_dir) if models_dir is not None else default_models_dir()
        if target.suffix == ".task" or _official_present(target):
            raise  # an explicit file, or a user's official bundle that is corrupt: say so
        return build_model(target)  # missing, or our own built bundle is corrupt: (re)build it


def _official_present(models_dir: Path) -> bool:
    return any((models_dir / n).is_file() for n in OFFICIAL_NAMES)


def build_model(
    models_dir: str | os.PathLike[str],
    *,
    wheel: str | os.PathLike[str] | None = None,
    normalization: tuple[float, float] = (0.0, 255.0),
) -> Path:
    """Build ``models_dir/pose_landmarker_full_built.task`` and return its path.

    ``wheel`` names a ``mediapipe-0.10.14`` wheel already on disk; otherwise it is
    taken from ``models_dir/.cache/`` or downloaded there with pip (35 MB, once).
    ``normalization`` is the (mean, std) written into the landmark model's
    metadata; only tests should change it.  The bundle is written to a temporary
    file and renamed into place, so an interrupted build leaves no broken file.
    """
    models_dir = Path(models_dir).expanduser().absolute()
    try:
        models_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ModelError(_os_message(exc, f"cannot create the models folder {models_dir}")) from None
    wheel_path = Path(wheel) if wheel is not None else _get_wheel(models_dir / ".cache")
    members = _read_wheel(wheel_path)
    try:
        landmarks = _add_normalization(members["pose_landmarks_detector.tflite"], *normalization)
    except Exception as exc:  # flatbuffer (un)packing: a broken mediapipe install or schema change
        raise ModelError(
            f"cannot add metadata to the landmark model ({type(exc).__name__}: {exc}); "
            "reinstall mediapipe>=1.2 (`pip install --force-reinstall mediapipe`)"
        ) from None
    out = models_dir / BUILT_NAME
    _write_bundle(out, {"pose_detector.tflite": members["pose_detector.tflite"],
                        "pose_landmarks_detector.tflite": landmarks})
    try:
        write_manifest(out)
    except OSError as exc:
        out.unlink(missing_ok=True)  # a bundle with no record would be refused: leave none
        raise ModelError(_os_message(exc, f"cannot write the model's checksum beside {out}")) from None
    return check_model(out)


def _get_wheel(cache: Path) -> Path:
    found = sorted(cache.glob(_WHEEL_GLOB)) if cache.is_dir() else []
    if found:
        return found[0]
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ModelError(_os_message(exc, f"cannot create the download folder {cache}")) from None
    cmd = [
        sys.executable, "-m", "pip", "download", f"mediapipe=={WHEEL_VERSION}",
        "--no-deps", "--only-binary=:all:", "--python-version", "3.11",
        "--platform", "manylinux2014_x86_64", "--disable-pip-version-check", "-q", "-d", str(cache),
    ]
    try:
        env = {k: v for k, v in os.environ.items() if v != NO_NETWORK_PROXY}
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ModelError(
            f"could not run pip to download mediapipe=={WHEEL_VERSION} ({exc}); "
            "download that wheel yourself and run `posecoach setup-model --wheel FILE`"
        ) from None
    found = sorted(cache.glob(_WHEEL_GLOB))
    if proc.returncode != 0 or not found:
        lines = [ln.strip() for ln in (proc.stderr or proc.stdout or "").splitlines() if ln.strip()]
        why = lines[-1] if lines else f"pip exited with code {proc.returncode}"
        raise ModelError(
            f"could not download mediapipe=={WHEEL_VERSION} from PyPI ({why}); check the network "
            "or run `posecoach setup-model --wheel FILE` with that wheel, "
            "or drop an official pose_landmarker_full.task into models/"
        )
    return found[0]


def _read_wheel(wheel: Path) -> dict[str, bytes]:
    """The two BlazePose files from the wheel, keyed by bundle member name, verified."""
    hint = f"use the mediapipe {WHEEL_VERSION} manylinux wheel (delete {wheel} and run `posecoach setup-model`)"
    out: dict[str, bytes] = {}
    try:
        with zipfile.ZipFile(wheel) as zf:
            for src, (dst, size, sha) in _SOURCES.items():
                try:
                    data = zf.read(src)
                except KeyError:
                    raise ModelError(f"wheel {wheel} has no {src}; {hint}") from None
                if len(data) != size or hashlib.sha256(data).hexdigest() != sha:
                    raise ModelError(
                        f"wheel {wheel}: {src} is {len(data)} bytes with an unexpected checksum "
                        f"(expected {size} bytes); {hint}"
                    )
                out[dst] = data
    except FileNotFoundError:
        raise ModelError(f"wheel {wheel} does not exist; check the path given to --wheel") from None
    except (zipfile.BadZipFile, OSError) as exc:
        raise ModelError(f"wheel {wheel} is not a readable zip ({exc}); {hint}") from None
    return out


def _load_schema(name: str) -> ModuleType:
    """Load one of mediapipe's generated flatbuffer modules by path, without importing mediapipe."""
    mod_name = f"_posecoach_{name}"
    if mod_name in sys.modules:
        return sys.modules[mod_name]
    spec = importlib.util.find_spec("mediapipe")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError("mediapipe is not installed; run `pip install 'mediapipe>=1.2,<2'`")
    path = Path(next(iter(spec.submodule_search_locations))) / "tasks" / "metadata" / f"{name}.py"
    if not path.is_file():
        raise ModelError(f"mediapipe lacks {path.name}; reinstall it with `pip install 'mediapipe>=1.2,<2'`")
    mspec = importlib.util.spec_from_file_location(mod_name, path)
    assert mspec is not None and mspec.loader is not None
    module = importlib.util.module_from_spec(mspec)
    mspec.loader.exec_module(module)
    sys.modules[mod_name] = module
    return module


def _add_normalization(tflite: bytes, mean: float, std: float) -> bytes:
    """Return ``tflite`` with a ``TFLITE_METADATA`` entry: RGB image input, (x - mean) / std."""
    import flatbuffers  # a mediapipe dependency

    mds = _load_schema("metadata_schema_py_generated")
    tfl = _load_schema("schema_py_generated")

    norm = mds.NormalizationOptionsT()
    norm.mean, norm.std = [float(mean)], [float(std)]
    unit = mds.ProcessUnitT()
    unit.optionsType = mds.ProcessUnitOptions.NormalizationOptions
    unit.options = norm
    image = mds.ImagePropertiesT()
    image.colorSpace = mds.ColorSpaceType.RGB
    content = mds.ContentT()
    content.contentPropertiesType = mds.ContentProperties.ImageProperties
    content.contentProperties = image
    tensor = mds.TensorMetadataT()
    tensor.name = "image"
    tensor.content = content
    tensor.processUnits = [unit]
    subgraph = mds.SubGraphMetadataT()
    subgraph.inputTensorMetadata = [tensor]
    meta = mds.ModelMetadataT()
    meta.name = "pose_landmarks_detector"
    meta.minParserVersion = "1.0.0"
    meta.subgraphMetadata = [subgraph]
    builder = flatbuffers.Builder(1024)
    builder.Finish(meta.Pack(builder), file_identifier=b"M001")
    meta_bytes = bytes(builder.Output())

    model = tfl.ModelT.InitFromPackedBuf(bytearray(tflite), 0)
    model.buffers = list(model.buffers or [])
    model.metadata = [m for m in (model.metadata or []) if m.name != "TFLITE_METADATA"]
    buffer = tfl.BufferT()
    buffer.data = meta_bytes
    model.buffers.append(buffer)
    entry = tfl.MetadataT()
    entry.name = "TFLITE_METADATA"
    entry.buffer = len(model.buffers) - 1
    model.metadata.append(entry)
    builder = flatbuffers.Builder(len(tflite) + len(meta_bytes) + 4096)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def _write_bundle(out: Path, members: dict[str, bytes]) -> None:
    try:
        with atomic_open(out, "wb") as fh, zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_STORED) as zf:
            for name, data in members.items():
                zf.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), data,
                            compress_type=zipfile.ZIP_STORED)
    except OSError as exc:
        raise ModelError(_os_message(exc, f"cannot write the model to {out}")) from None


def _os_message(exc: OSError, what: str) -> str:
    if exc.errno == errno.ENOSPC:
        return f"{what}: no space left on device; free about 50 MB and run `posecoach setup-model` again"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"{what}: permission denied; use --models-dir with a writable folder or set POSECOACH_MODEL_DIR"
    return f"{what}: {exc.strerror or exc}; fix that and run `posecoach setup-model` again"


# --------------------------------------------------------------------------- CLI


def setup_model_main(argv: list[str] | None = None) -> int:
    """``posecoach setup-model [--force] [--models-dir D] [--wheel W]``: print the model's path.

    Raises :class:`ModelError` on failure; the CLI turns it into ``ERROR ...``.
    """
    parser = argparse.ArgumentParser(
        prog="posecoach setup-model",
        description="Find the pose model, or build it from the mediapipe 0.10.14 wheel on PyPI.",
    )
    parser.add_argument("--force", action="store_true", help="rebuild even if a model is present")
    parser.add_argument("--models-dir", type=Path, default=None,
                        help="folder for the model (default: $POSECOACH_MODEL_DIR or the repo's models/)")
    parser.add_argument("--wheel", type=Path, default=None,
                        help="a mediapipe-0.10.14 wheel already on disk (skips the download)")
    args = parser.parse_args(argv)
    models_dir = args.models_dir if args.models_dir is not None else default_models_dir()
    if args.force or args.wheel is not None:
        path = build_model(models_dir, wheel=args.wheel)
        print(f"built pose model: {path}")
        return 0
    try:
        path = find_model(models_dir)
        print(f"pose model: {path}")
        return 0
    except ModelError:
        if _official_present(Path(models_dir)):
            raise
    path = build_model(models_dir, wheel=args.wheel)
    print(f"built pose model: {path}")
    return 0
