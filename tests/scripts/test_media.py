"""Uploaded images travel with a backup: FILE.images.tar beside FILE, added back on restore."""

import hashlib
import io
import tarfile

import pytest

from pybackend.maintenance import MaintenanceError
from pybackend.maintenance.media import archive_path, backup_images, check_images, restore_images

from .databases import command, write_ini


def image_file(directory, data=b"\x89PNG fake bytes"):
    directory.mkdir(parents=True, exist_ok=True)
    name = hashlib.sha256(data).hexdigest() + ".png"
    (directory / name).write_bytes(data)
    return name


def test_archive_round_trip_adds_and_never_overwrites(tmp_path):
    source, target = tmp_path / "src", tmp_path / "dst"
    name = image_file(source)
    (source / "notes.txt").write_text("not an image: left out")
    backup = str(tmp_path / "site.backup")
    assert backup_images(str(source), backup) == 1
    with tarfile.open(archive_path(backup)) as archive:
        assert archive.getnames() == [name]
    other = image_file(target, b"already here")
    assert restore_images(str(target), backup) == 1
    assert (target / name).read_bytes() == (source / name).read_bytes()
    assert (target / other).read_bytes() == b"already here"
    assert restore_images(str(target), backup) == 0  # again: nothing to add


def test_no_archive_is_nothing_to_restore(tmp_path):
    assert restore_images(str(tmp_path / "dst"), str(tmp_path / "site.backup")) == 0


@pytest.mark.parametrize("member", ["../evil.png", "x/" + "a" * 64 + ".png", "a" * 64 + ".exe"])
def test_archive_members_that_are_not_images_are_refused(tmp_path, member):
    backup = str(tmp_path / "site.backup")
    with tarfile.open(archive_path(backup), "w") as archive:
        info = tarfile.TarInfo(member)
        info.size = 3
        archive.addfile(info, io.BytesIO(b"bad"))
    with pytest.raises(MaintenanceError, match="unexpected member"):
        check_images(str(tmp_path / "dst"), backup)
    assert not (tmp_path / "evil.png").exists()


def test_backup_and_restore_commands_carry_the_images(databases, backend, tmp_path):
    if backend != "sqlite":
        pytest.skip("the commands are the same on PostgreSQL; the files do not depend on it")
    url = databases.new("withimages", seeded=True)
    site = tmp_path / "site"
    site.mkdir()
    ini = write_ini(site, url)
    name = image_file(site / "var" / "test-images")
    backup_file = tmp_path / "site.backup"
    result = command("backup", ini, backup_file)
    assert result.returncode == 0, result.stderr
    assert "Backed up 1 images" in result.stdout
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    empty = databases.new("restoredimages")
    result = command("restore", write_ini(elsewhere, empty), backup_file)
    assert result.returncode == 0, result.stderr
    assert (elsewhere / "var" / "test-images" / name).exists()
