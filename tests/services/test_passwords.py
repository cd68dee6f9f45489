from argon2 import PasswordHasher, Type

from pybackend.services import passwords


def test_production_hasher_is_argon2id_with_owasp_parameters():
    saved = passwords._hasher, passwords._dummy_hash
    try:
        passwords.configure_hasher()
        assert passwords._hasher.type is Type.ID
        # At least OWASP's minimum: 19 MiB and 2 passes.
        assert passwords._hasher.time_cost >= 2 and passwords._hasher.memory_cost >= 19 * 1024
        stored = passwords.hash_password("x" * 12)
        assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
        # A hash made with argon2-cffi's own defaults is rehashed at the next login.
        old = PasswordHasher().hash("x" * 12)
        assert passwords.verify_password(old, "x" * 12) == (True, True)
    finally:
        passwords._hasher, passwords._dummy_hash = saved


def test_long_passwords_are_not_truncated():
    stored = passwords.hash_password("a" * 100 + "b")
    assert passwords.verify_password(stored, "a" * 100 + "b") == (True, False)
    assert passwords.verify_password(stored, "a" * 100 + "c")[0] is False


def test_broken_hash_never_raises():
    assert passwords.verify_password("not a hash", "x") == (False, False)
    assert passwords.verify_password("", "x") == (False, False)


def test_the_dummy_hash_is_made_at_the_first_unknown_user_not_at_import():
    saved = passwords._hasher, passwords._dummy_hash
    try:
        passwords.configure_hasher(time_cost=1, memory_cost=8, parallelism=1)
        assert passwords._dummy_hash is None  # a reader-only process never pays for it
        passwords.burn_time("whatever password")
        dummy = passwords._dummy_hash
        assert dummy.startswith("$argon2id$") and "m=8," in dummy
        assert passwords.verify_password(None, "whatever password") == (False, False)
        assert passwords._dummy_hash == dummy  # made once
    finally:
        passwords._hasher, passwords._dummy_hash = saved
