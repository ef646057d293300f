"""The e-mail outbox of a test, refusing to be read while work the test queued has not run.

E-mails go out from tasks queued after commit; inside a test's transaction they run only when
the test captures them. "No e-mail was sent" read before that is true only because nothing was
allowed to run, so reading the outbox then fails, as reading what a connector received does.
"""

from tests.support.on_commit import assert_settled


class SettledOutbox(list):
    """`django.core.mail.outbox`: filled as ever; its length, items and comparisons are read only
    once the work the test body queued has run (its truth value is its length)."""

    def __len__(self):
        assert_settled()
        return super().__len__()

    def __iter__(self):
        assert_settled()
        return super().__iter__()

    def __getitem__(self, index):
        assert_settled()
        return super().__getitem__(index)

    def __contains__(self, message):
        assert_settled()
        return super().__contains__(message)

    def __eq__(self, other):
        assert_settled()
        return super().__eq__(other)

    def __ne__(self, other):
        return not self == other


def settled_from_here(item) -> None:
    """Make the outbox a `SettledOutbox` as the test body starts, keeping what fixtures sent.

    Not earlier: setting the database up gives every test a fresh plain list. The test's
    `mailoutbox` argument, if it asked for one, is the same outbox."""
    from django.core import mail

    if not hasattr(mail, "outbox"):
        return
    mail.outbox = SettledOutbox(list.__iter__(mail.outbox))
    if "mailoutbox" in item.funcargs:
        item.funcargs["mailoutbox"] = mail.outbox
