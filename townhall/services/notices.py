"""Reply notifications: a reader asks for them, confirms by an e-mail link, and can leave in one click.

No notification is sent before the address is confirmed (double opt-in). Every mail carries an
unsubscribe link and the ``List-Unsubscribe`` / ``List-Unsubscribe-Post`` headers (RFC 8058), and
unsubscribing stops every reply notification to that address on that site.

Links carry a token made from the subscription's id and a keyed hash of it, so nothing more has
to be stored to check them.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from townhall import i18n
from townhall.errors import Invalid, NotFound
from townhall.i18n import N_
from townhall.models import Comment, Site
from townhall.services.clock import Clock, utcnow
from townhall.services.mail import Outbox, check_address
from townhall.services.text import plain
from townhall.storage import Repos, Storage
from townhall.storage.changes import CommentChange
from townhall.types import CommentStatus

EXCERPT = 600  # characters of a reply quoted in the mail


@dataclass(frozen=True, slots=True)
class Subscribed:
    subscription_id: int
    confirmed: bool  # already confirmed by this reader earlier: no confirmation mail
    message: str


def _excerpt(text: str) -> str:
    text = plain(text).strip()
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1].rstrip() + "…"


class ReplyNotices:
    def __init__(self, storage: Storage, outbox: Outbox, secret: str, clock: Clock = utcnow):
        self.storage = storage
        self.outbox = outbox
        self.secret = secret
        self.clock = clock

    # -- tokens --------------------------------------------------------------------------------

    def token(self, purpose: str, subscription_id: int) -> str:
        mac = hmac.new(self.secret.encode(), f"{purpose}:{subscription_id}".encode(), hashlib.sha256)
        return f"{subscription_id}.{mac.hexdigest()[:32]}"

    def _check(self, purpose: str, token: str) -> int:
        head, _, _mac = token.partition(".")
        if (
            head.isdigit()
            and 0 < int(head) < 2**31
            and hmac.compare_digest(self.token(purpose, int(head)), token)
        ):
            return int(head)
        raise NotFound("this link is not valid (it may be incomplete)", code="bad_link")

    # -- reader actions ------------------------------------------------------------------------

    def subscribe(self, site: Site, comment: Comment, email: str) -> Subscribed:
        """Ask for notifications of replies to ``comment``; a confirmation mail is queued unless this
        reader already confirmed the same address on this site."""
        if not self.outbox.enabled:
            raise Invalid("this site does not send e-mail notifications", fields={"notify_replies": "off"})
        email = check_address(email, "author_email")
        now = self.clock()
        with self.storage.write() as tx:
            if tx.subscriptions.reply_for_comment(comment.id) is not None:
                raise Invalid("notifications are already asked for", fields={"notify_replies": "already on"})
            confirmed = tx.subscriptions.confirmed_by(site.id, email, comment.author.id)
            sub_id = tx.subscriptions.add_reply(site.id, comment.id, comment.author.id, email, now, confirmed)
            if not confirmed:
                self._queue_confirmation(tx, site, sub_id, email)
        if confirmed:
            return Subscribed(sub_id, True, N_("You will get an e-mail when someone replies."))
        return Subscribed(sub_id, False, N_("Check your e-mail to confirm reply notifications."))

    def confirm(self, token: str) -> dict[str, str]:
        sub_id = self._check("confirm", token)
        with self.storage.write() as tx:
            sub = tx.subscriptions.reply(sub_id)
            if sub is None:
                raise NotFound("this subscription no longer exists", code="bad_link")
            if sub["unsubscribed_at"] is not None:
                raise Invalid("this address was unsubscribed; ask again under a comment", fields={})
            tx.subscriptions.confirm_reply(sub_id, self.clock())
        return {"email": sub["email"], "site_id": sub["site_id"]}

    def unsubscribe(self, token: str) -> dict[str, str]:
        """Stop every reply notification to the address the link was sent to, on that site."""
        sub_id = self._check("unsubscribe", token)
        with self.storage.write() as tx:
            sub = tx.subscriptions.reply(sub_id)
            if sub is None:
                raise NotFound("this subscription no longer exists", code="bad_link")
            tx.subscriptions.unsubscribe_address(sub["site_id"], sub["email"], self.clock())
        return {"email": sub["email"], "site_id": sub["site_id"]}

    # -- mails ---------------------------------------------------------------------------------

    def _queue_confirmation(self, tx: Repos, site: Site, sub_id: int, email: str) -> None:
        link = self.outbox.link(f"/mail/confirm/{self.token('confirm', sub_id)}")
        gettext = i18n.translations(site.settings.language).gettext  # mails speak the site's language
        text = gettext(
            "Someone, hopefully you, asked {site} to tell this address about replies to a comment.\n\n"
            "To confirm, open this link:\n{link}\n\n"
            "If it was not you, ignore this message: nothing will be sent without the confirmation.\n"
        ).format(site=site.name, link=link)
        self.outbox.queue(
            tx,
            "confirm",
            email,
            gettext("Confirm reply notifications from {site}").format(site=site.name),
            text,
            dedupe_key=f"confirm:{sub_id}",
        )

    def on_changes(self, tx: Repos) -> None:
        """Before a write commits: queue a notice for each reply that became visible in it."""
        for change in tx.comment_changes:
            if self._newly_published(change):
                self._notify(tx, change.comment_id)

    @staticmethod
    def _newly_published(change: CommentChange) -> bool:
        published = CommentStatus.PUBLISHED.value
        return change.to_status == published and change.from_status != published

    def _notify(self, tx: Repos, comment_id: int) -> None:
        reply = tx.comments.get(comment_id)
        if reply is None or reply.parent_id is None or reply.status is not CommentStatus.PUBLISHED:
            return
        sub = tx.subscriptions.reply_for_comment(reply.parent_id)
        if sub is None or sub["confirmed_at"] is None or sub["unsubscribed_at"] is not None:
            return
        if sub["author_id"] == reply.author.id:
            return  # answering oneself is not news
        story = tx.stories.get(reply.story_id)
        site = tx.sites.get(sub["site_id"])
        if story is None or site is None:
            return
        unsubscribe = self.outbox.link(f"/mail/unsubscribe/{self.token('unsubscribe', sub['id'])}")
        gettext = i18n.translations(site.settings.language).gettext
        text = gettext(
            "{name} replied to your comment under “{title}”:\n\n{excerpt}\n\n"
            "Read the conversation: {url}\n\n"
            "--\nYou get this because you asked {site} for reply notifications.\n"
            "Stop them (one click): {unsubscribe}\n"
        ).format(
            name=reply.author.name,
            title=story.title or story.url,
            excerpt=_excerpt(reply.body),
            url=story.url,
            site=site.name,
            unsubscribe=unsubscribe,
        )
        headers = {
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }
        self.outbox.queue(
            tx,
            "reply",
            sub["email"],
            gettext("New reply to your comment on {site}").format(site=site.name),
            text,
            headers,
            dedupe_key=f"reply:{sub['id']}:{reply.id}",
        )
