from argon2 import PasswordHasher, Type

from pybackend.services import passwords


def test_production_hasher_is_argon2id_with_recommended_parameters():
    default = PasswordHasher()
    assert default.type is Type.ID
    assert default.time_cost >= 2 and default.memory_cost >= 19 * 1024
    # The module builds exactly that hasher unless told otherwise.
    saved = passwords._hasher, passwords._DUMMY_HASH
    try:
        passwords.configure_hasher()
        assert passwords._hasher.time_cost == default.time_cost
        assert passwords._hasher.memory_cost == default.memory_cost
        assert passwords.hash_password("x" * 12).startswith("$argon2id$")
    finally:
        passwords._hasher, passwords._DUMMY_HASH = saved


def test_long_passwords_are_not_truncated():
    stored = passwords.hash_password("a" * 100 + "b")
    assert passwords.verify_password(stored, "a" * 100 + "b") == (True, False)
    assert passwords.verify_password(stored, "a" * 100 + "c")[0] is False


def test_broken_hash_never_raises():
    assert passwords.verify_password("not a hash", "x") == (False, False)
    assert passwords.verify_password("", "x") == (False, False)
