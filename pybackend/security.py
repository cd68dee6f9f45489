"""Permissions, the root ACL and the security policy.

Readers are anonymous; every view still names its permission, so that denying by
default stays true when accounts arrive.
"""

from pyramid.authorization import ACLHelper, Allow, Authenticated, Everyone

VIEW = "view"
EDIT = "edit"
MANAGE_USERS = "manage-users"


class Root:
    """The root resource; route factories for single items return their own resources."""

    __acl__ = [
        (Allow, Everyone, VIEW),
        (Allow, "role:editor", EDIT),
        (Allow, "role:admin", (EDIT, MANAGE_USERS)),
    ]

    def __init__(self, request):
        self.request = request


class SecurityPolicy:
    """Anonymous for now: no identity, ACL-based permissions."""

    def __init__(self):
        self.helper = ACLHelper()

    def identity(self, request):
        return None

    def authenticated_userid(self, request):
        return None

    def effective_principals(self, request):
        principals = [Everyone]
        identity = request.identity
        if identity is not None:
            principals.append(Authenticated)
        return principals

    def permits(self, request, context, permission):
        return self.helper.permits(context, self.effective_principals(request), permission)

    def remember(self, request, userid, **kw):
        return []

    def forget(self, request, **kw):
        return []


def includeme(config):
    config.set_root_factory(Root)
    config.set_security_policy(SecurityPolicy())
