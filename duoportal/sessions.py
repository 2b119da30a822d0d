"""Sessions in the database, as Django keeps them, read for less on every signed-in page."""

from django.contrib.sessions.backends import db
from django.utils import timezone

from duoportal.models import hand_written_first


class SessionStore(db.SessionStore):
    def _validate_session_key(self, key):
        """Django's rule (8 characters or more), and only what Django's keys are made of.

        The key comes from a cookie, which anyone can write: a NUL byte in it was a
        500 on PostgreSQL, which refuses one in a query. Any other key is no session.
        """
        return (
            super()._validate_session_key(key)
            and len(key) <= self.model._meta.get_field("session_key").max_length
            and key.isascii()
            and key.isalnum()
        )

    def _get_session_from_db(self):
        # Django's read (the session, unless it has expired) without the ORM's
        # compiler: every signed-in page makes it (docs/performance.md).
        session = hand_written_first(
            self.model,
            "SELECT {columns} FROM {table} WHERE session_key = %s AND expire_date > %s",
            [self.session_key, ("expire_date", timezone.now())],
        )
        if session is None:
            self._session_key = None
        return session
