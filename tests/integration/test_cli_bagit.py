"""`export --format bagit` and `import BAG` as an operator runs them (real subprocesses; the rest of
the bag behaviour is tested through the service in test_bagit.py)."""
from __future__ import annotations

import bagit

from archive.identity import SYSTEM

from tests.conftest import EXAMPLE, SHARED
from tests.integration.test_cli import cli, instance, open_archive  # noqa: F401 (fixtures)

SUITE = SHARED / "realdata" / "bagit_conformance_suite"


def test_a_bag_exported_and_imported_from_the_command_line(cli, instance, tmp_path):  # noqa: F811
    instance.mkdir(mode=0o700)
    archive = open_archive(instance)      # (in this process: one command fewer to start)
    archive.init()
    archive.transfer.import_file(SYSTEM, EXAMPLE)
    archive.close()
    out = cli("export", "--format", "bagit", "--audience", "public", "OH-2015-0001", tmp_path / "one")
    assert "1 testimonies" in out and str(tmp_path / "one") in out
    bag = bagit.Bag(str(tmp_path / "one"))
    assert bag.is_valid() and bag.info["External-Identifier"] == "OH-2015-0001"
    assert bag.info["Source-Organization"] == "Testimony Archive"
    # an invalid bag: one line, exit 1
    out = cli("import", SUITE / "v1.0" / "invalid" / "bagit-with-invalid-whitespace", expect=1)
    assert "bagit.txt is not in the form RFC 8493 requires" in out
    assert [line for line in out.splitlines() if line.startswith("error:")] == [out.splitlines()[-1]]
    # the bag's testimony is there already: --resume skips it, as for a JSON file
    out = cli("import", tmp_path / "one", "--resume")
    assert "Bag valid" in out and "1 already in the archive, skipped" in out
