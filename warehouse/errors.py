"""Errors shared by every layer.

``UserError`` is a failure the user can act on (a missing snapshot, a busy lock, a bad file): its text is
one line in Chinese and English from the catalog. The command line prints it and exits with code 2;
the operators' page shows it in an alert. It lives in the lowest layer so that the warehouse, the ETL
and the dashboard can all raise and catch it without importing each other.
"""

from __future__ import annotations

from warehouse.i18n import both


class UserError(Exception):
    """A failure the user can act on: printed as one clear line (Chinese / English), exit code 2."""


def user_error(key: str, **params) -> UserError:
    """A :class:`UserError` whose message is catalog entry ``key`` as "中文 / English"."""
    zh, en = both(key, **params)
    return UserError(f"{zh} / {en}")
