"""Password hashing (Argon2id) and the password policy (AUTH-1, AUTH-2)."""

import functools
import threading
import unicodedata
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from ..i18n import _

MIN_LENGTH = 12
MAX_LENGTH = 128

_hasher = None
_dummy_hash = None
_dummy_lock = threading.Lock()


# OWASP's second Argon2id setting (Password Storage Cheat Sheet): 19 MiB, 2 passes, one
# lane. It resists GPU cracking like argon2-cffi's default (64 MiB, 3 passes, 4 lanes)
# while a login costs a third of the memory, so a waitress process stays under 150 MB
# when editors log in. Older hashes are rehashed with it at their next login.
PARAMETERS = {"time_cost": 2, "memory_cost": 19 * 1024, "parallelism": 1}


def configure_hasher(**parameters):
    """Argon2id with PARAMETERS, unless told otherwise (tests)."""
    global _hasher, _dummy_hash
    with _dummy_lock:
        _hasher = PasswordHasher(**(parameters or PARAMETERS))
        _dummy_hash = None


configure_hasher()


def _dummy():
    """A hash to verify when the username is unknown, so both failures cost the same (AUTH-3).

    Made at the first login attempt, not at import: hashing takes the hasher's whole memory
    cost (19 MiB), which a process that only serves readers never needs.
    """
    global _dummy_hash
    with _dummy_lock:
        if _dummy_hash is None:
            _dummy_hash = _hasher.hash("not the password of anyone at all")
        return _dummy_hash


def hash_password(password):
    return _hasher.hash(password)


def verify_password(password_hash, password):
    """(matches, needs_rehash). Never raises for a wrong password or a broken hash."""
    try:
        _hasher.verify(password_hash or _dummy(), password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False, False
    if not password_hash:
        return False, False
    return True, _hasher.check_needs_rehash(password_hash)


def burn_time(password):
    """Spend what a verification costs, for a username that does not exist."""
    verify_password(_dummy(), password + "\x00never")


@functools.cache
def common_passwords():
    text = resources.files("pybackend").joinpath("data/common-passwords.txt").read_text("utf-8")
    return frozenset(line for line in text.splitlines() if line and not line.startswith("#"))


def policy_errors(password, username=""):
    """Why ``password`` is not acceptable, as a list of messages (empty when it is)."""
    length = len(unicodedata.normalize("NFC", password))
    errors = []
    if length < MIN_LENGTH:
        errors.append(_("Kata sandi minimal ${n} karakter.", mapping={"n": MIN_LENGTH}))
    if length > MAX_LENGTH:
        errors.append(_("Kata sandi maksimal ${n} karakter.", mapping={"n": MAX_LENGTH}))
    if password.lower() in common_passwords():
        errors.append(_("Kata sandi ini terlalu umum; pilih yang lain."))
    if username and password.lower() == username.lower():
        errors.append(_("Kata sandi tidak boleh sama dengan nama pengguna."))
    return errors
