"""A run bundle as a .zip: made for download (``zip_run``), and imported as a new run (``import_run``).

An imported zip may come from anyone: it is refused, in words and leaving nothing behind, when it is
too big packed or unpacked, holds a path out of its folder or a file that is not a bundle file,
lies about its files' sizes or SHA-256 in its manifest, or holds a run that ``Run.load`` refuses or
weights that do not fit its model.
"""
from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import numpy as np

from .. import units
from ..models.engine import WEIGHTS
from ..errors import InputError, ModelError, MusegenError
from ..files import safe_name
from ..messages import msg
from ..music.readers import zip_problem
from .folder import Run

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
    import os

    label = Path(bundle).name if isinstance(bundle, (str, os.PathLike)) else msg("said.the_bundle")
    zf, infos = _open_zip(_bundle_bytes(bundle, label, max_bytes), label)
    with zf:
        members, top = _bundle_members(infos, label)
        _check_unpacked_size(members, label, max_bytes, dest_root, limits)
        manifest = _manifest(zf, members.pop(MANIFEST, None), label)
        _check_listed(manifest, members, label)
        wanted = _new_name(name, top, manifest, label)
        return _unpack(zf, members, manifest, Path(dest_root), wanted, label, max_bytes)


def _bundle_bytes(bundle, label, max_bytes: int) -> bytes:
    """The zip's bytes: given, or read from a regular file no bigger than max_bytes."""
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
        from ..files import read_regular

        data = read_regular(bundle, max_bytes, "a run bundle")  # not /dev/zero (3.7 GB), not a pipe (forever)
    if len(data) > max_bytes:
        raise InputError(msg("said.bundle_too_big", label=label, size=units.size(len(data)), limit=limit))
    return data


def _open_zip(data: bytes, label):
    """The zip and its members' records; a damaged or truncated one is refused."""
    import io

    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as e:
        raise InputError(msg("said.bundle_bad_zip", label=label, error=zip_problem(e, data, 120))) from None
    return zf, infos


def _check_unpacked_size(members: dict, label, max_bytes: int, dest_root, limits) -> None:
    """What the members unpack to, refused past max_bytes and, for a visitor, past their cap of runs
    or the disk budget: checked on the zip's records, before a byte is written."""
    limit = units.size(max_bytes)
    total = sum(info.file_size for info in members.values())
    if total > max_bytes:
        raise InputError(msg("said.bundle_unpacks", label=label, size=units.size(total), limit=limit))
    if limits is not None:
        from ..serve.disk import check_import

        check_import(dest_root, total, limits)  # before a byte is written


def _check_listed(manifest: dict | None, members: dict, label) -> None:
    """The manifest lists exactly the files the zip holds (none missing, none added)."""
    if manifest is not None:
        listed, present = set(manifest["files"]), set(members)
        if listed - present:
            raise InputError(msg("said.bundle_incomplete", label=label, files=", ".join(sorted(listed - present))))
        if present - listed:
            raise InputError(msg("said.bundle_changed", label=label, files=", ".join(sorted(present - listed))))


def _new_name(name: str | None, top: str, manifest: dict | None, label) -> str:
    """The new run's folder name: the one asked for, else the zip's top folder, its manifest's name,
    its file name."""
    wanted = safe_name(name) if name else ""
    if name and not wanted:
        raise InputError(msg("said.name_needed"))
    if not wanted:
        default = manifest.get("name", "") if manifest else ""
        fallback = Path(label).stem if isinstance(label, str) else ""
        wanted = safe_name(top or default or fallback, empty="imported-run")
    return wanted


def _unpack(zf, members: dict, manifest: dict | None, root: Path, wanted: str, label, max_bytes: int) -> Path:
    """Every member extracted and checked in a hidden folder, then the run moved to a free name."""
    import tempfile

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
    from ..models.engine import check_weights, load_weights, make_engine

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
