"""The pre-parsed built-in datasets in assets/datasets/: read when the user's cache misses, only for
exactly the settings they were parsed with, and never trusted over a fresh parse when damaged."""
from __future__ import annotations

import numpy as np
import pytest

from musegen.music import ship, shippedsets, sources
from musegen.config import DataConfig
from musegen.errors import InputError
from musegen.music.corpus import BUILTIN
from musegen.music.shippedsets import SHIPPED_DIR, SHIPPED_ENV
from musegen.music.sources import load_pieces


def no_parsing(monkeypatch):
    """Any parse from here on fails the test: what loads must come from a cache."""
    def refuse(*args, **kwargs):
        raise AssertionError("parsed, though a cache should have answered")

    monkeypatch.setattr(sources, "parse_all", refuse)


def same_pieces(a, b):
    assert [p.name for p in a] == [p.name for p in b]
    for x, y in zip(a, b):
        assert np.array_equal(x.notes, y.notes), x.name  # bit for bit: float64 kept
        assert x.tempo == y.tempo and x.time_signatures == y.time_signatures and x.key_sharps == y.key_sharps
        assert [p.as_dict() for p in x.parts] == [p.as_dict() for p in y.parts]


@pytest.mark.parametrize("name", list(BUILTIN))
def test_every_builtin_set_ships_up_to_date_and_loads_without_parsing(name, tmp_path, monkeypatch):
    """Read from assets/datasets/, never parsed (parsing took 10 s to 3 min; how long the shipped
    read takes against a parse is measured in bench/reading.py)."""
    monkeypatch.delenv(SHIPPED_ENV, raising=False)
    assert len(list(SHIPPED_DIR.glob(f"{name}-*.npz"))) == 1
    no_parsing(monkeypatch)
    try:
        result = load_pieces(name, DataConfig(dataset=name), cache_dir=tmp_path)  # the app's and the CLI's settings
    except AssertionError:
        pytest.fail(f"assets/datasets/ does not match {name} any more (parsing, music21 or settings changed): "
                    "rebuild it with `make datasets`")
    assert result.cached and result.source == name and len(result.pieces) == len(result.parsed) > 40
    assert not list(tmp_path.iterdir())  # read in place, not copied


@pytest.mark.parametrize("name", list(BUILTIN))
def test_the_shipped_set_is_what_a_fresh_parse_reads(name, monkeypatch):
    """Its first files, parsed afresh now, give the same pieces and report as the shipped ones."""
    monkeypatch.delenv(SHIPPED_ENV, raising=False)
    shipped = load_pieces(name, DataConfig(dataset=name), cache_dir=False)
    assert shipped.cached
    fresh = load_pieces(name, DataConfig(dataset=name, max_files=3), cache_dir=False, shipped=False)
    assert not fresh.cached
    assert fresh.report == shipped.report[:3]
    same_pieces(fresh.pieces, shipped.pieces[: len(fresh.pieces)])


@pytest.fixture
def shipped_dir(tmp_path, monkeypatch):
    """A stand-in assets/datasets/ holding bach's first three chorales, shipped as `ship` ships."""
    out = tmp_path / "shipped"
    monkeypatch.setattr(shippedsets, "SHIPPED_DIR", out)
    monkeypatch.delenv(SHIPPED_ENV, raising=False)
    with monkeypatch.context() as m:
        m.setattr(ship, "shipped_settings", lambda name: DataConfig(dataset=name, max_files=3))
        [shipped] = ship.ship(["bach"], out=out)
    fresh = load_pieces("bach", DataConfig(max_files=3), cache_dir=False, shipped=False)
    return shipped, fresh


def test_a_miss_in_the_users_cache_reads_the_shipped_one(shipped_dir, tmp_path, monkeypatch):
    shipped, fresh = shipped_dir
    no_parsing(monkeypatch)
    got = load_pieces("bach", DataConfig(max_files=3), cache_dir=tmp_path / "user")
    assert got.cached and got.report == fresh.report
    same_pieces(got.pieces, fresh.pieces)


def test_other_settings_miss_the_shipped_cache_and_parse(shipped_dir, tmp_path):
    got = load_pieces("bach", DataConfig(max_files=3, drums=False), cache_dir=tmp_path / "user")
    assert not got.cached and len(got.pieces) == 3
    assert load_pieces("bach", DataConfig(max_files=3, drums=False), cache_dir=tmp_path / "user").cached  # for next time


def test_a_shipped_cache_can_be_turned_off(shipped_dir, tmp_path, monkeypatch):
    monkeypatch.setenv(SHIPPED_ENV, "0")
    assert not load_pieces("bach", DataConfig(max_files=3), cache_dir=False).cached
    monkeypatch.delenv(SHIPPED_ENV)
    assert not load_pieces("bach", DataConfig(max_files=3), cache_dir=False, shipped=False).cached
    assert load_pieces("bach", DataConfig(max_files=3), cache_dir=False).cached


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty"])
def test_a_damaged_shipped_cache_is_parsed_again(shipped_dir, tmp_path, damage):
    shipped, fresh = shipped_dir
    data = shipped.read_bytes()
    shipped.write_bytes({"truncated": data[: len(data) // 2], "garbage": b"PK\x03\x04" + b"\x00" * 500,
                         "empty": b""}[damage])
    got = load_pieces("bach", DataConfig(max_files=3), cache_dir=tmp_path / "user")
    assert not got.cached and got.report == fresh.report
    same_pieces(got.pieces, fresh.pieces)


def test_only_a_builtin_name_reads_a_shipped_cache(tmp_path):
    """A path or an upload is the user's music, whatever its name."""
    assert shippedsets.shipped_path("bach", "0" * 64) is not None
    assert shippedsets.shipped_path(str(tmp_path / "bach"), "0" * 64) is None
    assert shippedsets.shipped_path([("bach", b"MThd")], "0" * 64) is None


def test_ship_writes_one_file_per_set_in_place_of_the_old(tmp_path, monkeypatch):
    monkeypatch.setattr(ship, "shipped_settings", lambda name: DataConfig(dataset=name, max_files=2))
    (tmp_path / "bach-old.npz").write_bytes(b"stale")
    [path] = ship.ship(["bach"], out=tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == [path.name] and path.name.startswith("bach-")
    assert shippedsets.load_shipped(path) is not None
    with pytest.raises(InputError) as refusal:
        ship.ship(["nope"], out=tmp_path)
    assert refusal.value.message.code == "said.not_builtin"
