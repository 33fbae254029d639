"""The media store: atomic content-addressed originals, fixity, derivatives per audience."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from archive.audience import Audience
from archive.errors import NotFound
from archive.media.store import Fixity, MediaStore

DATA = b"a photograph, as far as the store is concerned"
SHA = hashlib.sha256(DATA).hexdigest()


@pytest.fixture
def store(tmp_path):
    return MediaStore(tmp_path / "media")


def _all_files(root):
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_put_stores_by_sha256_in_a_two_level_fan_out(store):
    assert store.put(DATA) == SHA
    assert store.path(SHA) == store.root / "originals" / SHA[:2] / SHA[2:4] / SHA
    assert store.read(SHA) == DATA
    with store.open(SHA) as f:
        assert f.read() == DATA
    assert _all_files(store.root) == [f"originals/{SHA[:2]}/{SHA[2:4]}/{SHA}"]
    assert list(store.originals()) == [SHA]


def test_put_is_idempotent_and_leaves_the_file_alone(store):
    store.put(DATA)
    before = store.path(SHA).stat()
    assert store.put(DATA) == SHA
    after = store.path(SHA).stat()
    assert (before.st_ino, before.st_mtime_ns) == (after.st_ino, after.st_mtime_ns)
    assert _all_files(store.root) == [f"originals/{SHA[:2]}/{SHA[2:4]}/{SHA}"]


def test_originals_are_read_only(store):
    store.put(DATA)
    assert store.path(SHA).stat().st_mode & 0o777 == 0o400


def test_the_final_name_appears_only_once_the_bytes_are_on_disk(store, monkeypatch):
    seen = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        seen.append(("fsync", store.path(SHA).exists()))
        return real_fsync(fd)

    def replace(src, dst):
        # At the rename the temporary file is complete and sits next to the target.
        with open(src, "rb") as f:
            assert f.read() == DATA
        assert os.path.dirname(src) == os.path.dirname(dst)
        seen.append(("replace", store.path(SHA).exists()))
        return real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    store.put(DATA)
    assert seen[0] == ("fsync", False)          # data fsynced before the name exists
    assert ("replace", False) in seen
    assert store.read(SHA) == DATA


def test_a_failed_write_leaves_nothing_behind(store, monkeypatch):
    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        store.put(DATA)
    assert not store.exists(SHA)
    assert _all_files(store.root) == []  # not even the temporary file


def test_a_crash_mid_write_is_not_an_original(store):
    # What a killed process leaves: a temporary file in the shard directory.
    shard = store.path(SHA).parent
    shard.mkdir(parents=True)
    (shard / ".tmp-abc123").write_bytes(DATA[:5])
    assert not store.exists(SHA)
    assert store.fixity(SHA) is Fixity.MISSING
    assert list(store.originals()) == []
    assert store.put(DATA) == SHA and store.fixity(SHA) is Fixity.OK


def test_fixity_reports_ok_missing_and_changed(store):
    store.put(DATA)
    assert store.fixity(SHA) is Fixity.OK and store.fixity(SHA) == "ok"
    path = store.path(SHA)
    path.chmod(0o600)
    path.write_bytes(DATA + b"!")
    assert store.fixity(SHA) is Fixity.CHANGED
    path.write_bytes(DATA[:-1] + b"?")  # same length, one byte different
    assert store.fixity(SHA) is Fixity.CHANGED
    path.unlink()
    assert store.fixity(SHA) is Fixity.MISSING


def test_put_does_not_mask_a_changed_original(store):
    store.put(DATA)
    store.path(SHA).chmod(0o600)
    store.path(SHA).write_bytes(b"tampered")
    store.put(DATA)
    assert store.fixity(SHA) is Fixity.CHANGED


def test_missing_original_is_not_found(store):
    with pytest.raises(NotFound):
        store.read(SHA)


@pytest.mark.parametrize("bad", ["../../etc/passwd", SHA.upper(), SHA[:-1], SHA + "0", "",
                                 "0" * 63 + "/", None])
def test_only_a_sha256_becomes_a_path(store, bad):
    with pytest.raises(ValueError):
        store.path(bad)
    with pytest.raises(ValueError):
        store.derivative_path(bad, "public", "thumb")


def test_derivatives_are_keyed_by_sha_audience_and_size(store):
    store.put(DATA)
    public = store.put_derivative(SHA, "public", "thumb", b"public thumb")
    researcher = store.put_derivative(SHA, Audience.RESEARCHER, "thumb", b"researcher thumb")
    assert public == store.root / "derivatives" / "public" / SHA[:2] / SHA[2:4] / SHA / "thumb.png"
    assert researcher != public
    assert store.read_derivative(SHA, Audience.PUBLIC, "thumb") == b"public thumb"
    assert store.read_derivative(SHA, "researcher", "thumb") == b"researcher thumb"
    store.put_derivative(SHA, "public", "thumb", b"redone")
    assert store.read_derivative(SHA, "public", "thumb") == b"redone"
    assert store.read(SHA) == DATA  # derivatives never touch the original
    with pytest.raises(NotFound):
        store.read_derivative(SHA, "public", "medium")



def test_a_derivative_replaced_while_another_server_reads_it_is_never_half_written(store, monkeypatch):
    """Several servers share one media folder (README, "Running on several machines"): a derivative is
    written under a temporary name in its own folder (the same filesystem) and renamed over the old one,
    so a reader on any server opens the old bytes or the new, whole."""
    old = store.put_derivative(SHA, "public", "audio-0", b"old recording", ext="ogg")
    real_replace, seen = os.replace, []

    def replace(src, dst):
        seen.append((os.path.dirname(src) == os.path.dirname(dst), os.path.basename(src).startswith(".tmp-"),
                     Path(src).read_bytes(), Path(dst).read_bytes()))   # what another server reads now
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    store.put_derivative(SHA, "public", "audio-0", b"new recording, longer", ext="ogg")
    assert seen == [(True, True, b"new recording, longer", b"old recording")]
    assert old.read_bytes() == b"new recording, longer"
    assert store.derivative_names(SHA, "public", "ogg") == ["audio-0"]   # the temporary name is never listed

def test_remove_derivatives(store):
    for audience in ("public", "researcher"):
        for size in ("thumb", "medium"):
            store.put_derivative(SHA, audience, size, b"x")
    assert store.remove_derivatives(SHA, "public", keep=("thumb",)) == 1
    assert store.derivative_sizes(SHA, "public") == ["thumb"]
    assert store.remove_derivatives(SHA) == 3
    assert store.derivative_sizes(SHA, "researcher") == []


@pytest.mark.parametrize("size", ["../thumb", "Thumb", "", "a" * 40, "x/y"])
def test_size_names_are_plain(store, size):
    with pytest.raises(ValueError):
        store.derivative_path(SHA, "public", size)


def test_unknown_audience_is_refused(store):
    with pytest.raises(ValueError):
        store.derivative_path(SHA, "everyone", "thumb")
