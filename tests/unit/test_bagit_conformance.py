"""The Library of Congress BagIt conformance suite (../shared/realdata/bagit_conformance_suite): the
archive's bag check accepts every valid bag and refuses every invalid one, with one line of reason.
bagit-python alone accepts `v1.0/invalid/bagit-with-invalid-whitespace`; the archive reads bagit.txt's
exact form itself, so that one is refused too."""
from __future__ import annotations

import logging

import bagit
import pytest

from archive.errors import ValidationError
from archive.formats import bagit_format
from tests.conftest import SHARED

SUITE = SHARED / "realdata" / "bagit_conformance_suite"


def bags(*kinds: str) -> list:
    found = sorted(p for version in ("v0.97", "v1.0") for kind in kinds
                   for p in (SUITE / version / kind).glob("*") if p.is_dir())
    return [pytest.param(p, id=f"{p.parent.parent.name}/{p.parent.name}/{p.name}") for p in found]


VALID = bags("valid")
# linux-only: bags whose paths leave the bag on a POSIX system (this one), so invalid here.
INVALID = bags("invalid", "linux-only")


def test_the_suite_is_there_whole():
    assert len(VALID) == 13 and len(INVALID) == 21, (len(VALID), len(INVALID))


@pytest.mark.parametrize("path", VALID)
def test_every_valid_bag_is_accepted(path):
    bag = bagit_format.check(path)
    assert bag.is_valid()


@pytest.mark.parametrize("path", INVALID)
def test_every_invalid_bag_is_refused_in_one_line(path):
    with pytest.raises(ValidationError) as refused:
        bagit_format.check(path)
    message = str(refused.value)
    assert "\n" not in message and message.startswith(str(path)), message
    assert "Traceback" not in message


def test_bagit_python_alone_accepts_the_bag_with_invalid_whitespace():
    """Why the archive checks bagit.txt itself: if the library learns to refuse it, this says so."""
    path = SUITE / "v1.0" / "invalid" / "bagit-with-invalid-whitespace"
    logging.getLogger("bagit").setLevel(logging.WARNING)
    bagit.Bag(str(path)).validate()
    with pytest.raises(ValidationError, match="bagit.txt is not in the form RFC 8493 requires"):
        bagit_format.check(path)


@pytest.mark.parametrize("declaration, accepted", [
    (b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n", True),
    (b"BagIt-Version: 1.0\r\nTag-File-Character-Encoding: UTF-8", True),
    (b"BagIt-Version: 1.0\rTag-File-Character-Encoding: UTF-8\r", True),
    (b"BagIt-Version : 1.0\nTag-File-Character-Encoding : UTF-8\n", False),
    (b"BagIt-Version: 1.0 \nTag-File-Character-Encoding: UTF-8\n", False),
    (b"BagIt-Version:1.0\nTag-File-Character-Encoding: UTF-8\n", False),
    (b"\xef\xbb\xbfBagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n", False),
    (b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\nExtra: line\n", False),
    (b"Tag-File-Character-Encoding: UTF-8\nBagIt-Version: 1.0\n", False),
])
def test_bagit_txt_is_read_in_its_exact_form(tmp_path, declaration, accepted):
    folder = tmp_path / "bag"
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "hello.txt").write_text("hello")
    bagit_format.make(folder, {"Source-Organization": "test"})
    (folder / "bagit.txt").write_bytes(declaration)
    # (the tag manifest lists bagit.txt: made again for the new bytes, so only its form can refuse it)
    bagit.Bag(str(folder)).save(manifests=True) if accepted else None
    if accepted:
        bagit_format.check(folder)
    else:
        with pytest.raises(ValidationError, match="bagit.txt is not in the form"):
            bagit_format.check(folder)


def test_a_bag_whose_file_links_outside_it_is_refused(tmp_path):
    folder = tmp_path / "bag"
    folder.mkdir()
    (folder / "inside.txt").write_text("the same bytes")
    bagit_format.make(folder, {"Source-Organization": "test"})
    (tmp_path / "outside.txt").write_text("the same bytes")
    (folder / "data" / "inside.txt").unlink()
    (folder / "data" / "inside.txt").symlink_to(tmp_path / "outside.txt")
    with pytest.raises(ValidationError, match="unsafe"):
        bagit_format.check(folder)
