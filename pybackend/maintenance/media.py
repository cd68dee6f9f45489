"""Uploaded images in a backup: ``FILE.images.tar`` beside the database backup ``FILE``.

The archive is written after the database copy, through the same atomic output: every
image a backed-up row names is in it (a file is written before its row commits), and an
image uploaded in between is only an extra file. Restoring checks the archive before the database is
replaced and adds its files to the image directory after, each written whole under its
content-hash name; nothing there is ever removed or overwritten, and members that are not
plain files with an image name (``../x``, links, devices) are refused.
"""

import os
import tarfile

from ..services.images import valid_name
from . import MaintenanceError
from .files import atomic_output, fsync_path, remove_quietly

SUFFIX = ".images.tar"


def archive_path(backup_file):
    return backup_file + SUFFIX


def _names(directory):
    if not directory or not os.path.isdir(directory):
        return []
    return sorted(name for name in os.listdir(directory) if valid_name(name))


def backup_images(directory, backup_file):
    """Write the archive of ``directory``'s images; the number of files in it."""
    names = _names(directory)
    if not names:
        # No images: no archive (and none left from an older backup of the same name).
        remove_quietly(archive_path(backup_file))
        return 0
    with atomic_output(archive_path(backup_file)) as temporary:
        _write_archive(temporary, directory, names)
    return len(names)


def _write_archive(path, directory, names):
    with tarfile.open(path, "w") as archive:
        for name in names:
            archive.add(os.path.join(directory, name), arcname=name, recursive=False)


def _copy(source, path):
    with open(path, "wb") as handle:
        while chunk := source.read(1 << 20):
            handle.write(chunk)


def check_images(directory, backup_file):
    """Refuse a bad archive before anything is restored (restore changes nothing then)."""
    path = archive_path(backup_file)
    if not os.path.exists(path):
        return
    if not directory:
        raise MaintenanceError("the backup has images but pybackend.image_dir is not set")
    try:
        with tarfile.open(path, "r") as archive:
            for member in archive:
                if not member.isfile() or not valid_name(member.name):
                    raise MaintenanceError(f"{path}: unexpected member {member.name!r}")
    except tarfile.TarError as e:
        raise MaintenanceError(f"{path} is not an image archive: {e}") from None


def restore_images(directory, backup_file):
    """Add the archive's images to ``directory``; the number added (0 without an archive)."""
    path = archive_path(backup_file)
    if not os.path.exists(path):
        return 0
    if not directory:
        raise MaintenanceError("the backup has images but pybackend.image_dir is not set")
    os.makedirs(directory, exist_ok=True)
    added = 0
    try:
        with tarfile.open(path, "r") as archive:
            for member in archive:
                if not member.isfile() or not valid_name(member.name):
                    raise MaintenanceError(f"{path}: unexpected member {member.name!r}")
                target = os.path.join(directory, member.name)
                if os.path.exists(target):
                    continue
                source = archive.extractfile(member)
                with atomic_output(target) as temporary:
                    _copy(source, temporary)
                os.chmod(target, 0o644)
                added += 1
    except tarfile.TarError as e:
        raise MaintenanceError(f"{path} is not an image archive: {e}") from None
    fsync_path(directory, directory=True)
    return added
