"""Votes one per reader, address and account, and undoable; bans that follow the author (both backends)."""

from __future__ import annotations

import pytest

from tests.conftest import ORIGIN, FakeClock
from townhall.errors import Conflict, Forbidden, NotFound
from townhall.services import Services
from townhall.services.identity import Identity, guest, keyed_hash
from townhall.types import AuthorKind

URL = f"{ORIGIN}/politics/bridge-vote"
SECRET = "test-secret"


@pytest.fixture
def site(services: Services):
    return services.sites.add("ledger", "The Ledger", [ORIGIN])


def _reader(token: str) -> str:
    return keyed_hash(SECRET, f"reader:{token}")[:40]


def _guest_post(
    services: Services, site, token: str, address: str, email: str | None = None, name: str = "Ana"
):
    return services.comments.post(
        site,
        URL,
        "A fair point about the bridge.",
        guest(name, email, token, SECRET),
        network_key=f"net-{address}",
        reader_key=_reader(token),
    )


def test_one_vote_per_address_whatever_the_tokens(services: Services, site) -> None:
    comment = _guest_post(services, site, "author-token-000001", "author").comment
    accepted = 0
    for i in range(30):
        try:
            services.feedback.vote(comment.id, f"voter-{i}", 1, network="net-shared")
            accepted += 1
        except Conflict as exc:
            assert exc.code == "already_voted"
    assert accepted == 1
    assert services.comments.get(comment.id).upvotes == 1
    # Other addresses still count.
    for i in range(3):
        services.feedback.vote(comment.id, f"elsewhere-{i}", 1, network=f"net-{i}")
    assert services.comments.get(comment.id).upvotes == 4


def test_a_signed_in_reader_votes_once_from_any_device(services: Services, site) -> None:
    comment = _guest_post(services, site, "author-token-000001", "author").comment
    services.feedback.vote(comment.id, "phone", 1, network="net-home", sso_id="user-7")
    with pytest.raises(Conflict):
        services.feedback.vote(comment.id, "laptop", 1, network="net-office", sso_id="user-7")
    # The same account from the other device turns its vote and takes it back.
    turned = services.feedback.vote(comment.id, "laptop", -1, network="net-office", sso_id="user-7")
    assert (turned.upvotes, turned.downvotes) == (0, 1)
    undone = services.feedback.unvote(comment.id, "laptop", sso_id="user-7")
    assert (undone.upvotes, undone.downvotes) == (0, 0)


def test_votes_are_undone_turned_and_cast_again(services: Services, site) -> None:
    comment = _guest_post(services, site, "author-token-000001", "author").comment
    assert services.feedback.vote(comment.id, "r1", 1, network="n1").upvotes == 1
    with pytest.raises(Conflict):
        services.feedback.vote(comment.id, "r1", 1, network="n1")
    turned = services.feedback.vote(comment.id, "r1", -1, network="n1")
    assert (turned.upvotes, turned.downvotes) == (0, 1)
    assert services.feedback.unvote(comment.id, "r1").downvotes == 0
    with pytest.raises(NotFound) as missing:
        services.feedback.unvote(comment.id, "r1")
    assert missing.value.code == "no_vote"
    # Undone, the address is free again: for this reader or another one there.
    assert services.feedback.vote(comment.id, "r2", 1, network="n1").upvotes == 1
    # Another reader cannot take someone else's vote back.
    with pytest.raises(NotFound):
        services.feedback.unvote(comment.id, "r3")
    assert services.comments.get(comment.id).upvotes == 1


def _ban(services: Services, comment) -> None:
    services.queue.ban(comment.author.id, "mod", None, "abuse", comment_id=comment.id)


def test_a_banned_guest_is_refused_under_a_new_token_with_the_same_email(services: Services, site) -> None:
    first = _guest_post(services, site, "troll-token-0000001", "a1", email="Troll@Example.com").comment
    _ban(services, first)
    with pytest.raises(Forbidden) as refused:
        _guest_post(services, site, "troll-token-0000002", "a2", email="troll@example.com", name="Someone")
    assert refused.value.code == "author_banned"
    # The token the ban just saw is banned too: dropping the e-mail next time does not help.
    with pytest.raises(Forbidden):
        _guest_post(services, site, "troll-token-0000002", "a3", name="Someone else")
    # A stranger elsewhere is not affected.
    assert _guest_post(services, site, "honest-token-000001", "a4").comment.id


def test_a_ban_covers_the_address_for_a_while_only(services: Services, site, clock: FakeClock) -> None:
    first = _guest_post(services, site, "troll-token-0000001", "shared").comment
    _ban(services, first)
    with pytest.raises(Forbidden):
        _guest_post(services, site, "fresh-token-0000001", "shared", name="New name")
    clock.advance(hours=services.config.ban_address_hours + 1)
    # The address part has run out; a reader with a new token there may post again.
    assert _guest_post(services, site, "fresh-token-0000002", "shared", name="Neighbour").comment.id
    # The banned author's own token is still banned.
    with pytest.raises(Forbidden):
        _guest_post(services, site, "troll-token-0000001", "other")


def test_a_banned_sso_reader_stays_banned_on_any_device_and_unban_lifts_everything(
    services: Services, site
) -> None:
    sso = Identity(AuthorKind.SSO, "user-9", "Sam", "sam@example.com")
    posted = services.comments.post(
        site, URL, "First.", sso, network_key="net-1", reader_key=_reader("device-one-token")
    )
    _ban(services, posted.comment)
    with pytest.raises(Forbidden):
        services.comments.post(
            site, URL, "Again.", sso, network_key="net-9", reader_key=_reader("device-two-token")
        )
    # As a guest on the first device, under another name and no e-mail: the reader token is banned.
    with pytest.raises(Forbidden):
        _guest_post(services, site, "device-one-token", "net-8", name="Not Sam")
    services.queue.unban(posted.comment.author.id, "mod")
    assert services.comments.post(site, URL, "Back.", sso, network_key="net-1").comment.id
    assert _guest_post(services, site, "device-one-token", "net-1", name="Sam again").comment.id
