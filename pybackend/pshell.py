"""``pshell development.ini``: the transaction manager, a session and the models.

Declared in the ini files' ``[pshell]`` section, after the starter template. Changes are
written with ``tm.commit()`` (then ``tm.begin()`` for more); anything not committed is
rolled back when the shell exits.
"""

from sqlalchemy import select

from . import models

MODELS = (
    "AuditEntry", "CacheTag", "ContentState", "Example", "Item", "ItemText", "Link",
    "LoginAttempt", "Reference", "RenderedPage", "Revision", "SearchDocument", "SlugHistory",
    "Topic", "User", "UserSession",
)  # fmt: skip


def setup(env):
    request = env["request"]
    request.tm.begin()
    env["tm"] = request.tm
    env["dbsession"] = request.dbsession
    env["models"] = models
    env["select"] = select
    for name in MODELS:
        env[name] = getattr(models, name)
    try:
        yield
    finally:
        request.tm.abort()
