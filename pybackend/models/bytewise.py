"""Text compared byte by byte, for prefix searches through an index on both backends.

``bytewise(expr)`` is ``expr COLLATE "C"`` on PostgreSQL and ``expr`` on SQLite, whose
default BINARY collation already compares bytes. In UTF-8 byte order is code point
order, so "starts with p" is the range p <= x < p with its last character incremented,
and an index on ``bytewise(expr)`` serves that range and its order, whatever the
database's own collation (under en_US, for one, "dj-x" sorts after "djb").
"""

from sqlalchemy import String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal


class bytewise(ColumnElement):  # noqa: N801 - used like a SQL function
    inherit_cache = True
    _traverse_internals = [("expr", InternalTraversal.dp_clauseelement)]

    def __init__(self, expr):
        self.expr = expr
        self.type = String()

    @property
    def _from_objects(self):
        return self.expr._from_objects


@compiles(bytewise)
def _compile(element, compiler, **kw):
    return compiler.process(element.expr, **kw)


@compiles(bytewise, "postgresql")
def _compile_postgresql(element, compiler, **kw):
    return f'{compiler.process(element.expr, **kw)} COLLATE "C"'
