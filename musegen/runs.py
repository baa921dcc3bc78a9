"""A run bundle: one directory holding everything needed to reload and use a trained model.

    config.json     RunConfig (data, tokenizer, model, training settings)
    tokenizer.json  scheme settings + vocabulary
    model.keras     weights of the best epoch so far (replaced atomically)
    weights.npz     the same weights as plain arrays: generation reads these, without TensorFlow
    history.json    per-epoch loss / val_loss / accuracy / val_accuracy, elapsed seconds
    data.json       source, per-file report with hashes, train/validation file names
    primers.npy     validation windows, so generation can start from real music offline
    summary.json    params, receptive field, best val figures, seconds, how training ended

Every file is written to a temporary name and renamed, so a killed process leaves the last good
version of each.
"""
from __future__ import annotations

import json
import math
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import units
from .config import RUN_RANGES, RunConfig, TokenizerConfig, check_settings, from_dict
from .models.engine import WEIGHTS
from .errors import InputError, ModelError, MusegenError
from .files import atomic_path, atomic_write, check_npy, safe_name
from .messages import msg
from .music.readers import zip_problem
from .tokens.registry import tokenizer_from_json
from .tokens.base import Tokenizer

REQUIRED = ("config.json", "tokenizer.json", "model.keras")
MAX_PRIMER_BYTES = 64_000_000  # 64 windows of 16,384 tokens are 4 MB: anything far bigger is not ours


def write_json(path: Path, obj) -> Path:
    return atomic_write(path, json.dumps(obj, indent=2, sort_keys=True, default=_jsonable))


def _jsonable(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def save_array(path: Path, array: np.ndarray) -> Path:
    """An .npy written to a temporary name, then renamed: a crash leaves the previous file whole."""
    with atomic_path(path, suffix=".npy") as tmp:
        np.save(tmp, np.asarray(array), allow_pickle=False)
    return Path(path)


def save_model(model, path: Path) -> Path:
    """Keras writes to a temporary .keras file that then replaces the bundle's; the NumPy weights
    that generation reads go beside it."""
    from .models.engine import WEIGHTS, export_weights

    export_weights(model, Path(path).parent / WEIGHTS)  # first: a new model.keras means both are current
    with atomic_path(path, suffix=".keras") as tmp:
        model.save(tmp)
    return Path(path)


@dataclass
class Run:
    path: Path
    config: RunConfig
    tokenizer: Tokenizer
    history: dict = field(default_factory=dict)
    data: dict = field(default_factory=dict)
    summary: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.path.name

    @classmethod
    def load(cls, path) -> "Run":
        path = Path(path)
        missing = [f for f in REQUIRED if not (path / f).is_file()]
        if missing:
            raise ModelError(msg("said.not_a_run", path=str(path), files=", ".join(missing)))
        # Every value is checked for type and range: a hand-edited or foreign bundle must fail here, in
        # words, not as a traceback deep in generation.
        config = _parse(path / "config.json", lambda text: RunConfig.from_json(text).check())
        tokenizer = _parse(path / "tokenizer.json", _tokenizer)
        weights = path / WEIGHTS
        if weights.is_file() and not zipfile.is_zipfile(weights):  # a truncated or swapped file
            raise ModelError(msg("said.damaged", name=path.name, detail=msg("said.d_not_archive", file=WEIGHTS)))
        data = _read(path / "data.json")
        _check_data(data, path.name, tokenizer)
        return cls(path, config, tokenizer, _read(path / "history.json"), data, _read(path / "summary.json"))

    def load_model(self):
        """Our own bundle, loaded with safe_mode (no arbitrary code); uploads never take this path."""
        import keras

        try:
            return keras.saving.load_model(self.path / "model.keras", compile=False, safe_mode=True)
        except Exception as e:  # keras raises many types for a damaged zip
            raise ModelError(msg("said.model_unloadable", name=self.name, error=f"{type(e).__name__}: {e}")) from e

    def primers(self) -> np.ndarray:
        """Windows of validation music to start from: token ids, nothing else (no pickles)."""
        path = self.path / "primers.npy"
        if not path.is_file():
            return np.zeros((0, 0), np.int32)
        def damaged(code: str, **values) -> ModelError:
            return ModelError(msg("said.damaged", name=self.name, detail=msg(code, file=path.name, **values)))

        size = path.stat().st_size
        if size > MAX_PRIMER_BYTES:
            raise damaged("said.d_too_big")
        try:
            with open(path, "rb") as f:
                objects = check_npy(f, size)  # a header claiming 10^12 values is refused before NumPy allocates them
            if objects:  # Python objects, which only unpickling reads
                raise damaged("said.d_pickles")
            primers = np.load(path, allow_pickle=False)
        except ValueError as e:
            raise damaged("said.d_not_npy", error=str(e)) from None
        except (OSError, EOFError) as e:
            raise damaged("said.d_not_npy", error=str(e)) from None
        if not isinstance(primers, np.ndarray):  # an .npz archive under the .npy name
            primers.close()
            raise damaged("said.d_not_one_array")
        if primers.ndim != 2 or primers.dtype.kind not in "iu" or (
                primers.size and not 0 <= primers.min() <= primers.max() < len(self.tokenizer)):
            raise damaged("said.d_not_windows")
        return primers


def _parse(path: Path, parse):
    """A run's settings file parsed and checked; any fault becomes one ModelError naming the file."""
    try:
        return parse(path.read_text())
    except RecursionError:  # [[[[…]]]] 100,000 deep: Python's JSON reader gives up, in its own words
        raise ModelError(msg("said.damaged", name=path.parent.name, detail=msg("said.d_nested", file=path.name))) from None
    except (InputError, ValueError, KeyError, TypeError, AttributeError) as e:
        raise ModelError(msg("said.damaged", name=path.parent.name,
                             detail=msg("said.about", name=path.name, error=str(e).rstrip(".")))) from None


def _check_data(data: dict, name: str, tokenizer) -> None:
    """What generation reads from data.json: the tempo, the usual time signature (two whole numbers,
    a power of two below) and the parts (instruments). Anything else there is only shown."""
    def damaged(code: str, **values) -> ModelError:
        return ModelError(msg("said.damaged", name=name, detail=msg("said.about", name="data.json", error=msg(code, **values))))

    tempo = data.get("tempo", 120.0)
    if isinstance(tempo, bool) or not isinstance(tempo, (int, float)) or not (0 < tempo < math.inf):
        raise damaged("said.d_tempo", tempo=repr(str(tempo)[:40]))
    signature = data.get("time_signature", (4, 4))
    if not (isinstance(signature, (list, tuple)) and len(signature) == 2
            and all(isinstance(n, int) and not isinstance(n, bool) for n in signature)
            and 1 <= signature[0] <= 64 and signature[1] in (1, 2, 4, 8, 16, 32, 64)
            and (tokenizer.bar_id is None or tokenizer.time_signature_id(*signature) is not None)):
        raise damaged("said.d_signature", signature=repr(str(signature)[:40]))
    parts = data.get("parts", [])
    fields = {"name": str, "program": int, "is_drum": bool}
    if not (isinstance(parts, list) and all(
            isinstance(p, dict) and set(p) <= set(fields) and all(
                isinstance(v, fields[k]) and (k != "program" or (not isinstance(v, bool) and 0 <= v <= 127))
                for k, v in p.items()) for p in parts)):
        raise damaged("said.d_parts")


def _tokenizer(text: str) -> Tokenizer:
    """tokenizer.json's settings are checked like config.json's before a tokenizer is built from them."""
    state = json.loads(text)
    if not isinstance(state, dict) or not isinstance(state.get("config"), dict) or not isinstance(state.get("vocab"), list):
        raise ValueError("it must hold a JSON object with config and vocab")
    check_settings(from_dict(TokenizerConfig, state["config"]), RUN_RANGES["tokenizer"])
    if not all(isinstance(token, str) for token in state["vocab"]):
        raise ValueError("its vocabulary must be a list of token names")
    return tokenizer_from_json(text)


def _read(path: Path) -> dict:
    """A run's record (history, data, summary); {} when absent, a ModelError when damaged."""
    if not path.is_file():
        return {}
    value = _parse(path, json.loads)
    if not isinstance(value, dict):
        raise ModelError(msg("said.damaged", name=path.parent.name, detail=msg("said.d_not_object", file=path.name)))
    return value


def list_runs(*roots) -> list[Run]:
    """Finished runs under the given folders, newest first; damaged ones, and hidden folders (a run
    being built or trained, ``.name.building``), are left out. What a killed write left in a run is
    cleared on the way (clean_leftovers)."""
    found = []
    for root in roots:
        for path in sorted(Path(root).glob("*/config.json")) if Path(root).is_dir() else []:
            if path.parent.name.startswith("."):
                continue
            try:
                run = Run.load(path.parent)
                found.append(((run.path / "model.keras").stat().st_mtime, run))
            except (ModelError, OSError):  # damaged, or deleted by another session meanwhile
                continue
            clean_leftovers(run.path)
    return [run for _, run in sorted(found, key=lambda mr: mr[0], reverse=True)]


LEFTOVER_SECONDS = 600.0  # a temporary file this old is no write in progress (saving a model takes seconds)


def clean_leftovers(path, older_than: float = LEFTOVER_SECONDS) -> list[Path]:
    """Remove the temporary files an atomic write leaves when its process is killed mid-write
    (``.model.keras.k3x9.tmp.keras``, as big as the model, counted in the disk budget and never
    read): those older than ``older_than`` seconds, so that a write in progress is never touched
    (0: all of them, once nothing writes there any more). Returns what was removed."""
    import time

    removed, now = [], time.time()
    for tmp in Path(path).glob(".*.tmp*"):  # files.atomic_path's names: .<name>.<random>.tmp<suffix>
        try:
            if tmp.is_file() and now - tmp.stat().st_mtime >= older_than:
                tmp.unlink()
                removed.append(tmp)
        except OSError:  # gone meanwhile, or a read-only folder (the bundled runs)
            continue
    return removed


def delete_run(path) -> None:
    shutil.rmtree(path)


def rename_run(path, new_name: str) -> Path:
    path = Path(path)
    safe = safe_name(new_name)
    if not safe:
        raise ModelError(msg("said.name_needed"))
    target = path.with_name(safe)
    if target.exists():
        raise ModelError(msg("said.name_taken", name=safe))
    path.rename(target)
    return target


BUNDLE_FILES = ("config.json", "tokenizer.json", "model.keras", "weights.npz", "history.json", "data.json",
                "primers.npy", "summary.json")
MANIFEST = "manifest.json"  # in a .zip only: each file's size and SHA-256, checked on import
MANIFEST_FORMAT = "musegen-run-bundle"
NOT_IMPORTED = ("shared.json",)  # a share link belongs to the server that made it: older zips held it, it is skipped
MAX_BUNDLE_BYTES = 200_000_000  # a .zip, and everything it unpacks to (the bundled runs are ~7 MB)
MAX_MANIFEST_BYTES = 1_000_000


def zip_run(path) -> bytes:
    """The bundle as a .zip (for download): ``<run name>/<file>`` for each bundle file, and a
    ``manifest.json`` with each file's size and SHA-256, which :func:`import_run` checks. Only the
    bundle's own files go in (not a share link, not a marker, not a file someone left there)."""
    import hashlib
    import io

    buffer = io.BytesIO()
    path = Path(path)
    files = {}
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in BUNDLE_FILES:
            file = path / name
            if not file.is_file():
                continue
            data = file.read_bytes()  # once: the manifest describes exactly the bytes zipped
            files[name] = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
            zf.writestr(f"{path.name}/{name}", data)
        manifest = {"format": MANIFEST_FORMAT, "version": 1, "name": path.name, "files": files}
        zf.writestr(f"{path.name}/{MANIFEST}", json.dumps(manifest, indent=2, sort_keys=True))
    return buffer.getvalue()


def import_run(bundle, dest_root, name: str | None = None, max_bytes: int = MAX_BUNDLE_BYTES, limits=None) -> Path:
    """Unpack a run bundle .zip (as :func:`zip_run` makes it) into a new folder under ``dest_root``.

    ``bundle``: the zip's bytes or a path to it. ``name``: the new run's folder name (default: the
    zip's top folder, else its file name); an existing run is never replaced: -2, -3… is added.
    Refused with an :class:`InputError` or :class:`ModelError` that says why, leaving nothing
    behind: a zip over ``max_bytes`` (packed or unpacked), a member with an absolute or ``..`` path or
    a name that is not a bundle file, a damaged or truncated zip, a file whose size or SHA-256
    differs from the manifest, and a bundle :meth:`Run.load` refuses or whose weights do not fit its
    model. A zip without a manifest (made before manifests) is accepted when every member is a
    bundle file: the zip's own CRCs and the checks on the files still apply. Nothing is unpickled;
    ``model.keras`` is not opened here (Keras loads it in safe mode, where it is loaded at all).
    ``limits`` (config.AppLimits): when ``dest_root`` is a visitor's folder, the import is refused at
    their cap of runs or past the disk budget for what visitors store (``disk.check_import``).
    Returns the new run's folder."""
    import io
    import os
    import tempfile

    label = Path(bundle).name if isinstance(bundle, (str, os.PathLike)) else msg("said.the_bundle")
    limit = units.size(max_bytes)
    if isinstance(bundle, (bytes, bytearray, memoryview)):
        data = bytes(bundle)
    else:
        try:
            size = Path(bundle).stat().st_size
        except FileNotFoundError:
            raise InputError(msg("said.cannot_find", path=str(bundle))) from None
        if Path(bundle).is_dir():
            raise InputError(msg("said.bundle_is_folder", path=str(bundle)))
        if size > max_bytes:
            raise InputError(msg("said.bundle_too_big", label=label, size=units.size(size), limit=limit))
        from .files import read_regular

        data = read_regular(bundle, max_bytes, "a run bundle")  # not /dev/zero (3.7 GB), not a pipe (forever)
    if len(data) > max_bytes:
        raise InputError(msg("said.bundle_too_big", label=label, size=units.size(len(data)), limit=limit))
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as e:
        raise InputError(msg("said.bundle_bad_zip", label=label, error=zip_problem(e, data, 120))) from None

    with zf:
        members, top = _bundle_members(infos, label)
        total = sum(info.file_size for info in members.values())
        if total > max_bytes:
            raise InputError(msg("said.bundle_unpacks", label=label, size=units.size(total), limit=limit))
        if limits is not None:
            from .serve.disk import check_import

            check_import(dest_root, total, limits)  # before a byte is written
        manifest = _manifest(zf, members.pop(MANIFEST, None), label)
        if manifest is not None:
            listed, present = set(manifest["files"]), set(members)
            if listed - present:
                raise InputError(msg("said.bundle_incomplete", label=label, files=", ".join(sorted(listed - present))))
            if present - listed:
                raise InputError(msg("said.bundle_changed", label=label, files=", ".join(sorted(present - listed))))
        wanted = safe_name(name) if name else ""
        if name and not wanted:
            raise InputError(msg("said.name_needed"))
        if not wanted:
            default = manifest.get("name", "") if manifest else ""
            fallback = Path(label).stem if isinstance(label, str) else ""
            wanted = safe_name(top or default or fallback, empty="imported-run")

        root = Path(dest_root)
        root.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=".import-", dir=root))  # hidden: list_runs never sees it half-made
        try:
            staged = work / wanted
            staged.mkdir()
            for member, info in members.items():
                _extract(zf, info, staged / member, label, member,
                         manifest["files"][member] if manifest is not None else None)
            _check_imported(staged, label, max_bytes)
            return _place(staged, root, wanted)
        finally:
            shutil.rmtree(work, ignore_errors=True)


def _short(e: BaseException, limit: int = 120) -> str:
    text = " ".join(str(e).split()) or type(e).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _bundle_members(infos, label: str) -> tuple[dict, str]:
    """bundle file name → ZipInfo, and the one top folder they sit in ("" when at the top)."""
    members: dict[str, zipfile.ZipInfo] = {}
    tops: set[str] = set()
    for info in infos:
        raw = info.filename
        shown = raw if len(raw) <= 80 else raw[:79] + "…"
        parts = raw.split("/")
        if (raw.startswith("/") or "\\" in raw or "\x00" in raw or ".." in parts
                or (len(raw) > 1 and raw[1] == ":")):
            raise InputError(msg("said.bundle_unsafe", label=label, path=repr(shown)))
        if info.is_dir():
            if len([p for p in parts if p]) > 1:
                raise InputError(msg("said.bundle_nested_folder", label=label, path=repr(shown)))
            continue
        if len(parts) > 2 or not all(parts):
            raise InputError(msg("said.bundle_deep", label=label, path=repr(shown)))
        tops.add(parts[0] if len(parts) == 2 else "")
        if len(tops) > 1:
            raise InputError(msg("said.bundle_folders", label=label))
        base = parts[-1]
        if base in NOT_IMPORTED:
            continue
        if base not in BUNDLE_FILES and base != MANIFEST:
            raise InputError(msg("said.bundle_stranger", label=label, path=repr(shown), files=", ".join(BUNDLE_FILES),
                                 manifest=MANIFEST))
        if base in members:
            raise InputError(msg("said.bundle_twice", label=label, name=base))
        members[base] = info
    if not members:
        raise InputError(msg("said.bundle_empty", label=label))
    return members, next(iter(tops), "")


def _manifest(zf, info, label: str) -> dict | None:
    """The manifest, checked for shape; None when the zip has none (made before manifests)."""
    if info is None:
        return None
    if info.file_size > MAX_MANIFEST_BYTES:
        raise InputError(msg("said.manifest_big", label=label, manifest=MANIFEST))
    try:
        manifest = json.loads(zf.read(info).decode("utf-8"))
    except Exception as e:  # damaged member, bad CRC, not UTF-8, not JSON
        raise InputError(msg("said.manifest_unreadable", label=label, manifest=MANIFEST, error=_short(e, 80))) from None
    files = manifest.get("files") if isinstance(manifest, dict) else None
    ok = (isinstance(manifest, dict) and manifest.get("format") == MANIFEST_FORMAT and isinstance(files, dict)
          and all(isinstance(entry, dict) and isinstance(entry.get("bytes"), int) and not isinstance(entry["bytes"], bool)
                  and isinstance(entry.get("sha256"), str) and len(entry["sha256"]) == 64 for entry in files.values()))
    if not ok:
        raise InputError(msg("said.manifest_foreign", label=label, manifest=MANIFEST))
    unknown = [n for n in files if n not in BUNDLE_FILES]
    if unknown:
        raise InputError(msg("said.manifest_stranger", label=label, manifest=MANIFEST, name=repr(str(unknown[0])[:80])))
    if not isinstance(manifest.get("name", ""), str):
        manifest["name"] = ""
    return manifest


def _extract(zf, info, target: Path, label: str, member: str, expected: dict | None) -> None:
    """One member copied to `target` in chunks; its size and CRC (and the manifest's size and SHA-256,
    when there is one) checked as it goes."""
    import hashlib

    digest, written = hashlib.sha256(), 0
    try:
        with zf.open(info) as src, open(target, "wb") as out:
            while chunk := src.read(1 << 20):
                written += len(chunk)
                if written > info.file_size:  # zipfile stops at the declared size; this is a second guard
                    raise InputError(msg("said.member_bigger", label=label, member=member))
                digest.update(chunk)
                out.write(chunk)
    except (MusegenError, OSError):  # OSError: writing here (disk full, permission), said by the caller
        raise
    except Exception as e:  # bad CRC, truncated data, encryption, an unsupported compression
        raise InputError(msg("said.member_damaged", label=label, member=member, error=_short(e, 80))) from None
    if expected is not None:
        if written != expected["bytes"]:
            raise InputError(msg("said.member_size", label=label, member=member, n=f"{written:,}",
                                 expected=f"{expected['bytes']:,}"))
        if digest.hexdigest() != expected["sha256"].lower():
            raise InputError(msg("said.member_sha", label=label, member=member))


def _check_imported(path: Path, label: str, max_bytes: int) -> None:
    """Everything a run is checked for where it is used, now: settings, tokenizer, primers, and that
    the NumPy weights fit the model its config describes (one token through the engine)."""
    from .models.engine import check_weights, load_weights, make_engine

    try:
        run = Run.load(path)
        run.primers()
        if (path / WEIGHTS).is_file():
            def damaged(code: str, **values) -> ModelError:
                return ModelError(msg("said.damaged", name=path.name, detail=msg(code, file=WEIGHTS, **values)))

            try:
                with zipfile.ZipFile(path / WEIGHTS) as npz:
                    unpacked = sum(info.file_size for info in npz.infolist())
            except Exception as e:  # Run.load only looked at its ends
                raise damaged("said.d_not_archive_why", error=_short(e, 80)) from None
            if unpacked > max_bytes:  # np.savez does not compress: a packed one is not ours
                raise damaged("said.d_unpacks", size=units.size(unpacked), limit=units.size(max_bytes))
            weights = load_weights(path / WEIGHTS)
            try:
                check_weights(weights, run.config.model, len(run.tokenizer), run.config.data.window)
            except ModelError as e:
                raise ModelError(msg("said.about", name=path.name, error=e.message)) from None
            try:
                engine = make_engine(weights, run.config.model, len(run.tokenizer), run.config.data.window,
                                     run.tokenizer.pad_id)
                engine.feed(np.zeros((1, 1), np.int64), engine.start(1, 1))
            except MusegenError:
                raise
            except Exception as e:  # a missing layer, a wrong shape: weights of another model
                raise damaged("said.d_not_fit", error=f"{type(e).__name__} {_short(e, 80)}") from None
    except MusegenError as e:
        raise type(e)(msg("said.not_usable_run", label=label, error=e.message)) from None


def _place(staged: Path, root: Path, wanted: str) -> Path:
    """Move the checked run to root/wanted, or wanted-2, wanted-3…: never onto an existing run."""
    import os

    for i in range(1, 10_000):
        target = root / (wanted if i == 1 else f"{wanted}-{i}")
        try:
            target.mkdir()  # claims the name (another import may be choosing at the same time)
        except FileExistsError:
            continue
        try:
            os.replace(staged, target)  # onto the empty folder just made: ours
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)
            raise
        return target
    raise InputError(msg("said.too_many_runs", name=wanted))
