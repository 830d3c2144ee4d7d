from __future__ import annotations

import pyotp
import pytest
from argon2 import PasswordHasher

from tests.conftest import FakeClock
from townhall.errors import Conflict, Invalid, NotFound, RateLimited, Unauthorized
from townhall.services import Services
from townhall.services.accounts import token_hash
from townhall.types import Role

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def _cheap_hashes(services: Services) -> None:
    # Argon2's production cost is the point in a server and a waste of seconds in a test.
    services.accounts.hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture
def ada(services: Services):
    return services.accounts.add("ada", Role.MODERATOR, PASSWORD)


def test_passwords_are_stored_as_argon2_hashes(services: Services, ada) -> None:
    with services.storage.read() as tx:
        stored = tx.accounts.by_name("ada")
    assert stored is not None
    assert stored["password_hash"].startswith("$argon2id$")
    assert PASSWORD not in stored["password_hash"]
    assert services.accounts.authenticate("ada", PASSWORD).role is Role.MODERATOR


def test_add_checks_name_role_password_and_uniqueness(services: Services, ada) -> None:
    with pytest.raises(Invalid, match="role"):
        services.accounts.add("bob", "reader", PASSWORD)
    with pytest.raises(Invalid, match="at least"):
        services.accounts.add("bob", Role.EDITOR, "short")
    with pytest.raises(Invalid, match="name"):
        services.accounts.add("<b>", Role.EDITOR, PASSWORD)
    with pytest.raises(Conflict):
        services.accounts.add("ada", Role.EDITOR, PASSWORD)
    assert [u.name for u in services.accounts.list()] == ["ada"]


def test_wrong_name_and_wrong_password_get_the_same_answer(services: Services, ada) -> None:
    with pytest.raises(Unauthorized) as wrong_password:
        services.accounts.authenticate("ada", "not the password")
    with pytest.raises(Unauthorized) as wrong_name:
        services.accounts.authenticate("nobody", PASSWORD)
    assert wrong_password.value.message == wrong_name.value.message


def test_failures_slow_the_address_down_never_the_account(services: Services, ada, clock: FakeClock) -> None:
    """Anyone can guess wrong on purpose: that must not lock the moderator out from elsewhere."""
    for _ in range(5):
        with pytest.raises(Unauthorized):
            services.accounts.authenticate("ada", "guess", address="203.0.113.9")
    with pytest.raises(RateLimited, match="try again"):
        services.accounts.authenticate("ada", PASSWORD, address="203.0.113.9")
    assert services.accounts.authenticate("ada", PASSWORD, address="198.51.100.4").name == "ada"
    # The count slides by 15-minute windows (as the rate limits): the guesses have lapsed soon after.
    clock.advance(minutes=16)
    assert services.accounts.authenticate("ada", PASSWORD, address="203.0.113.9").name == "ada"


def test_a_patient_guesser_gets_about_five_tries_per_quarter_hour(
    services: Services, ada, clock: FakeClock
) -> None:
    """One wrong guess every 30 seconds for two hours: the sliding count keeps letting some through
    (the moderator is never locked out for good), and never much more than 5 per 15 minutes."""
    tried = 0
    for _ in range(240):
        try:
            services.accounts.authenticate("ada", "guess", address="203.0.113.77")
        except Unauthorized:
            tried += 1
        except RateLimited:
            pass
        clock.advance(seconds=30)
    assert 5 * 8 <= tried <= 5 * 8 + 5, tried


def test_unknown_and_known_names_get_the_same_answers_in_the_same_order(services: Services, ada) -> None:
    def answers(name: str, address: str) -> list[str]:
        seen = []
        for _ in range(6):
            try:
                services.accounts.authenticate(name, "guess", address=address)
            except (Unauthorized, RateLimited) as exc:
                seen.append(f"{type(exc).__name__}: {exc.message}")
        return seen

    assert answers("ada", "192.0.2.1") == answers("nobody", "192.0.2.2")


def test_one_address_trying_many_names_is_slowed_down(services: Services, ada) -> None:
    for n in range(30):
        with pytest.raises(Unauthorized):
            services.accounts.authenticate(f"user{n}", "guess", address="203.0.113.50")
    with pytest.raises(RateLimited):
        services.accounts.authenticate("ada", PASSWORD, address="203.0.113.50")


def test_one_time_codes_once_enrolled_are_required(services: Services, ada) -> None:
    accounts = services.accounts
    secret = accounts.new_totp_secret()
    with pytest.raises(Invalid, match="does not match"):
        accounts.enable_totp("ada", secret, "000000")
    assert not accounts.get("ada").totp
    accounts.enable_totp("ada", secret, pyotp.TOTP(secret).now())
    assert accounts.get("ada").totp
    with pytest.raises(Unauthorized) as no_code:
        accounts.authenticate("ada", PASSWORD)
    with pytest.raises(Unauthorized) as wrong_password:
        accounts.authenticate("ada", "not it", code=pyotp.TOTP(secret).now())
    assert no_code.value.message == wrong_password.value.message
    assert accounts.authenticate("ada", PASSWORD, code=pyotp.TOTP(secret).now()).name == "ada"
    accounts.disable_totp("ada")
    assert accounts.authenticate("ada", PASSWORD).name == "ada"


def test_sessions_store_only_a_hash_and_expire(services: Services, ada, clock: FakeClock) -> None:
    session = services.accounts.login("ada", PASSWORD)
    assert session.token and session.csrf_token
    with services.storage.read() as tx:
        assert tx.accounts.session(session.token, clock()) is None  # the raw token is not stored
        assert tx.accounts.session(token_hash(session.token), clock()) is not None
    resolved = services.accounts.resolve(session.token)
    assert resolved is not None
    assert resolved.user.name == "ada" and resolved.csrf_token == session.csrf_token
    assert services.accounts.resolve("made-up-token") is None
    clock.advance(hours=13)
    assert services.accounts.resolve(session.token) is None


def test_logout_ends_one_session_and_logout_everywhere_ends_all(services: Services, ada) -> None:
    laptop = services.accounts.login("ada", PASSWORD)
    phone = services.accounts.login("ada", PASSWORD)
    other = services.accounts.login("ada", PASSWORD)
    services.accounts.logout(laptop.token)
    assert services.accounts.resolve(laptop.token) is None
    assert services.accounts.resolve(phone.token) is not None
    assert services.accounts.logout_everywhere("ada") == 2
    assert services.accounts.resolve(phone.token) is None
    assert services.accounts.resolve(other.token) is None
    with pytest.raises(NotFound):
        services.accounts.logout_everywhere("nobody")


def test_disable_and_reset_password_end_sessions(services: Services, ada) -> None:
    session = services.accounts.login("ada", PASSWORD)
    services.accounts.disable("ada")
    assert services.accounts.resolve(session.token) is None
    with pytest.raises(Unauthorized):
        services.accounts.login("ada", PASSWORD)
    services.accounts.enable("ada")
    session = services.accounts.login("ada", PASSWORD)
    services.accounts.reset_password("ada", "a brand new password")
    assert services.accounts.resolve(session.token) is None
    with pytest.raises(Unauthorized):
        services.accounts.authenticate("ada", PASSWORD)
    assert services.accounts.authenticate("ada", "a brand new password").name == "ada"
