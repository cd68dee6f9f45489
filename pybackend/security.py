"""Permissions, the root ACL, the security policy, server-side sessions and CSRF.

Identity comes from a server-side session: the cookie holds a random token, the
database its hash (SESS-1). CSRF tokens live in the same session row (CSRF-1), and
every unsafe request must carry one: no view opts out.
"""

import hmac
import secrets

from pyramid.authorization import ACLHelper, Allow, Authenticated, Everyone
from pyramid.csrf import get_csrf_token
from pyramid.interfaces import ICSRFStoragePolicy
from pyramid.settings import asbool
from sqlalchemy.exc import SQLAlchemyError
from zope.interface import implementer

from .services import sessions

SESSION_COOKIE = sessions.COOKIE_NAME
# Anonymous visitors get their login form's CSRF token bound to this cookie rather than to
# a session row: only a successful login writes a session.
LOGIN_COOKIE = "pybackend_login"

VIEW = "view"
EDIT = "edit"
MANAGE_USERS = "manage-users"
VIEW_AUDIT = "view-audit"
# Approving or sending back what editors submitted, and the site settings (administrators).
REVIEW = "review"
# One's own second factor: every logged-in user, even one who must enrol before editing.
OWN_ACCOUNT = "own-account"


class Root:
    """The root resource: every permission is granted here, to roles."""

    __acl__ = [
        (Allow, Everyone, VIEW),
        (Allow, Authenticated, OWN_ACCOUNT),
        (Allow, "role:editor", EDIT),
        (Allow, "role:admin", (EDIT, MANAGE_USERS, VIEW_AUDIT, REVIEW)),
    ]

    def __init__(self, request):
        self.request = request


def user_session(request):
    """The live session row named by the cookie, or None (reified per request)."""
    value = request.cookies.get(SESSION_COOKIE)
    signer = request.registry["session_signer"]
    if not value or not signer.live(value):
        return None
    row = sessions.load(request.dbsession, signer.verify(value))
    if row is None:
        signer.mark_dead(value)
    return row


def _set_cookie(request, token):
    secure = asbool(request.registry.settings.get("pybackend.secure_cookies", False))

    value = request.registry["session_signer"].sign(token)

    def callback(request, response):
        response.set_cookie(
            SESSION_COOKIE,
            value,
            httponly=True,
            samesite="Lax",
            secure=secure,
            path="/",
        )

    request.add_response_callback(callback)


def _clear_cookie(request):
    def callback(request, response):
        response.delete_cookie(SESSION_COOKIE, path="/")

    request.add_response_callback(callback)


def login(request, user):
    """Start a fresh session for ``user``: new token, new CSRF token (SESS-2, CSRF-2)."""
    if request.user_session is not None:
        sessions.revoke(request.dbsession, request.user_session)
    row, token = sessions.create(request.dbsession, user)
    request.user_session = row
    _set_cookie(request, token)
    return row


def logout(request):
    if request.user_session is not None:
        sessions.revoke(request.dbsession, request.user_session)
    request.user_session = None
    _clear_cookie(request)


def flash(request, message):
    """Show ``message`` on the next page this user sees (only logged-in users have one)."""
    row = request.user_session
    if row is None:
        return
    row.flash = [*(row.flash or []), request.localizer.translate(message)]


def pop_flash(request):
    row = request.user_session
    if row is None or not row.flash:
        return []
    messages, row.flash = list(row.flash), []
    return messages


def two_factor_missing(request):
    """True when the site requires a second factor and the logged-in user has none."""
    from .services import two_factor

    user = request.identity
    if user is None:
        return False
    return two_factor.required(request.dbsession) and not two_factor.enabled(
        request.dbsession, user
    )


def current_user(request):
    """request.identity for templates: an error page must render even with the database away."""
    try:
        return request.identity
    except SQLAlchemyError:
        return None


def csrf_token(request):
    return get_csrf_token(request)


def _login_nonce(request, create):
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    if len(nonce) == 22 and nonce.isascii() and (nonce.isalnum() or "-" in nonce or "_" in nonce):
        return nonce
    if not create:
        return None
    nonce = secrets.token_urlsafe(16)
    request.cookies[LOGIN_COOKIE] = nonce
    secure = asbool(request.registry.settings.get("pybackend.secure_cookies", False))
    request.add_response_callback(
        lambda request, response: response.set_cookie(
            LOGIN_COOKIE, nonce, httponly=True, samesite="Strict", secure=secure, path="/"
        )
    )
    return nonce


def _anonymous_token(request, nonce):
    return request.registry["session_signer"].sign("csrf-" + nonce).rpartition(".")[2]


@implementer(ICSRFStoragePolicy)
class SessionCSRFStoragePolicy:
    """CSRF tokens kept in the server-side session row; before login, bound to a cookie."""

    def new_csrf_token(self, request):
        row = request.user_session
        if row is None:
            request.cookies.pop(LOGIN_COOKIE, None)
            return _anonymous_token(request, _login_nonce(request, create=True))
        row.csrf_token = sessions.new_csrf_token()
        return row.csrf_token

    def get_csrf_token(self, request):
        row = request.user_session
        if row is None:
            return _anonymous_token(request, _login_nonce(request, create=True))
        return row.csrf_token

    def check_csrf_token(self, request, supplied_token):
        if not supplied_token:
            return False
        row = request.user_session
        if row is not None:
            expected = row.csrf_token
        else:
            nonce = _login_nonce(request, create=False)
            if nonce is None:
                return False
            expected = _anonymous_token(request, nonce)
        return hmac.compare_digest(
            expected.encode("utf-8"), str(supplied_token).encode("utf-8", "replace")
        )


class SecurityPolicy:
    def __init__(self):
        self.helper = ACLHelper()

    def identity(self, request):
        row = request.user_session
        if row is None or row.user is None or not row.user.is_active:
            return None
        return row.user

    def authenticated_userid(self, request):
        user = request.identity
        return None if user is None else user.id

    def effective_principals(self, request):
        principals = [Everyone]
        user = request.identity
        if user is not None:
            principals += [Authenticated, f"u:{user.id}"]
            # While the site requires a second factor this user has not set up, their role
            # grants nothing: only their own two-factor page and logout (AUTH-7).
            if not request.two_factor_missing:
                principals.append(f"role:{user.role}")
        return principals

    def permits(self, request, context, permission):
        return self.helper.permits(context, self.effective_principals(request), permission)

    def remember(self, request, userid, **kw):
        return []

    def forget(self, request, **kw):
        return []


def includeme(config):
    config.registry["session_signer"] = sessions.CookieSigner(
        config.get_settings()["pybackend.secret"]
    )
    config.set_root_factory(Root)
    config.set_security_policy(SecurityPolicy())
    config.add_request_method(user_session, reify=True)
    config.add_request_method(csrf_token, reify=True)
    config.add_request_method(current_user, reify=True)
    config.add_request_method(two_factor_missing, reify=True)
    config.add_request_method(pop_flash)
    config.set_csrf_storage_policy(SessionCSRFStoragePolicy())
    # Every unsafe method needs the token (form field csrf_token or X-CSRF-Token header).
    config.set_default_csrf_options(require_csrf=True)
