"""pybackend-user INI cleanup: what logins remove by themselves, on demand (issue 10)."""

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from pybackend.models import LoginAttempt, UserSession

from .databases import command, write_ini


def test_cleanup_removes_dead_sessions_and_old_attempts_and_keeps_the_rest(databases, tmp_path):
    # The clock is read when the test runs, not when the module is collected: a whole
    # suite can run for longer than the lockout window before it reaches this test.
    now = dt.datetime.now(dt.UTC)

    def ago(**delta):
        return now - dt.timedelta(**delta)

    url = databases.new("cleanup", seeded=True)
    engine = databases.engine(url)
    with Session(engine) as session:
        session.add_all(
            [
                # Idle for an hour (the idle timeout is 30 minutes), and 13 hours old.
                UserSession(token_hash="a" * 64, csrf_token="x", last_seen_at=ago(hours=1)),
                UserSession(token_hash="b" * 64, csrf_token="x", created_at=ago(hours=13)),
                UserSession(token_hash="c" * 64, csrf_token="x"),  # live
                LoginAttempt(key="user:ed", attempted_at=ago(hours=1)),
                LoginAttempt(key="user:ed", attempted_at=now),
                LoginAttempt(key="ok:ed:127.0.0.1", attempted_at=ago(days=31)),
                LoginAttempt(key="ok:ed:10.0.0.1", attempted_at=ago(days=1)),
            ]
        )  # fmt: skip
        session.commit()
    result = command("users", write_ini(tmp_path, url), "cleanup")
    assert result.returncode == 0, result.stderr
    assert "Removed expired sessions and old login attempts." in result.stdout
    with Session(engine) as session:
        assert session.scalars(select(UserSession.token_hash)).all() == ["c" * 64]
        kept = session.execute(select(LoginAttempt.key, LoginAttempt.attempted_at)).all()
        assert sorted(key for key, _at in kept) == ["ok:ed:10.0.0.1", "user:ed"]
