"""Two-factor authentication over REST (SPEC 11): enrolment, the two log-in steps, replay, drift,
recovery codes, the rate limit, the OAuth2 form, disabling, and the secret at rest.

Codes are computed from the secret with pyotp, as an authenticator app would. Tests that need
several codes in a row move the service's clock (`two_factor._now`) instead of waiting 30 s.
"""

from __future__ import annotations

import asyncio
import time

import httpx
import pyotp
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text
from sqlmodel import select

from teamsapp.auth import mfa, two_factor
from teamsapp.auth import service as auth_service
from teamsapp.core import redis as core_redis
from teamsapp.core.crypto import decrypt_secret
from teamsapp.core.db import session_scope
from teamsapp.core.errors import Invalid
from teamsapp.models import RecoveryCode, TwoFactor
from tests.auth.test_rate_limits import client_from, random_address
from tests.auth.two_factor_helpers import (
    AUTH,
    DISABLE,
    ENABLE,
    ME,
    RECOVERY,
    SETUP,
    Clock,
    code_step,
    enrol,
    password_step,
)
from tests.factories.users import DEFAULT_PASSWORD, login, make_user
from tests.fixtures.users import login_sessions, reload_user


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The service's clock, stopped at the middle of a time step and moved by the test."""
    now = time.time()
    moved = Clock(now=now - now % 30 + 15)
    monkeypatch.setattr(two_factor, "_now", lambda: moved.now)
    return moved


async def test_setup_gives_the_secret_the_uri_and_a_qr_code_and_changes_nothing_yet(
    client: httpx.AsyncClient,
) -> None:
    user = await make_user()
    headers = await login(client, user)
    response = await client.post(SETUP, json={"current_password": DEFAULT_PASSWORD}, headers=headers)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"secret", "otpauth_uri", "qr_svg"}
    totp = pyotp.parse_uri(body["otpauth_uri"])
    assert isinstance(totp, pyotp.TOTP)
    assert totp.secret == body["secret"] and totp.issuer == "teamsapp" and totp.name == user.email
    assert (totp.digits, totp.interval, totp.digest().name) == (6, 30, "sha1")
    assert body["qr_svg"].startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    assert body["qr_svg"].endswith("</svg>")
    assert (await client.get(ME, headers=headers)).json()["two_factor_enabled"] is False
    assert (
        "access_token"
        in (await client.post(AUTH, json={"login": user.email, "password": DEFAULT_PASSWORD})).json()
    )


async def test_the_whole_flow_end_to_end(client: httpx.AsyncClient) -> None:
    user = await make_user()
    other_device = await login(client, user)
    enrolled = await enrol(client, user)
    assert len(enrolled.recovery_codes) == 10 and len(set(enrolled.recovery_codes)) == 10
    me = await client.get(ME, headers=enrolled.headers)
    assert me.json()["two_factor_enabled"] is True
    # Enabling ends every other session, not the one that enabled it.
    assert (await client.get(ME, headers=other_device)).status_code == 401

    first = await client.post(AUTH, json={"login": user.username, "password": DEFAULT_PASSWORD})
    assert first.status_code == 200
    assert set(first.json()) == {"mfa_required", "mfa_token", "expires_in"}
    assert first.json()["expires_in"] == 300
    # The code of the next step: the one of this step was used to enable (replays are refused).
    code = pyotp.TOTP(enrolled.secret).at(time.time(), counter_offset=1)
    second = await code_step(client, first.json()["mfa_token"], code)
    assert second.status_code == 200, second.text
    tokens = second.json()
    assert set(tokens) == {"access_token", "refresh_token", "token_type", "expires_in"}
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert (await client.get(ME, headers=headers)).json()["id"] == str(user.id)
    refreshed = await client.post(f"{AUTH}/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 200
    listed = (await client.get("/api/v1/user/sessions", headers=headers)).json()
    assert [row["current"] for row in listed].count(True) == 1 and len(listed) == 2


async def test_setup_needs_the_current_password(client: httpx.AsyncClient) -> None:
    user = await make_user()
    headers = await login(client, user)
    missing = await client.post(SETUP, json={}, headers=headers)
    assert missing.status_code == 422 and missing.json()["detail"][0]["loc"] == ["body", "current_password"]
    wrong = await client.post(SETUP, json={"current_password": "a phished guess"}, headers=headers)
    assert wrong.status_code == 422 and wrong.json()["field"] == "current_password"
    anonymous = await client.post(SETUP, json={"current_password": DEFAULT_PASSWORD})
    assert anonymous.status_code == 401
    async with session_scope() as session:
        assert await session.get(TwoFactor, user.id) is None


async def test_enable_refuses_a_wrong_code_and_a_second_enrolment(client: httpx.AsyncClient) -> None:
    user = await make_user()
    headers = await login(client, user)
    nothing_yet = await client.post(ENABLE, json={"code": "123456"}, headers=headers)
    assert nothing_yet.status_code == 409
    secret = (await client.post(SETUP, json={"current_password": DEFAULT_PASSWORD}, headers=headers)).json()[
        "secret"
    ]
    right = pyotp.TOTP(secret).now()
    wrong = "000000" if right != "000000" else "111111"
    refused = await client.post(ENABLE, json={"code": wrong}, headers=headers)
    assert refused.status_code == 422 and refused.json()["field"] == "code"
    assert (await client.get(ME, headers=headers)).json()["two_factor_enabled"] is False
    assert (await client.post(ENABLE, json={"code": right}, headers=headers)).status_code == 200
    again = await client.post(SETUP, json={"current_password": DEFAULT_PASSWORD}, headers=headers)
    assert again.status_code == 409


async def test_a_code_is_accepted_once(client: httpx.AsyncClient, clock: Clock) -> None:
    user = await make_user()
    enrolled = await enrol(client, user, clock)
    clock.advance()
    code = clock.code(enrolled.secret)
    assert (await code_step(client, await password_step(client, user.email), code)).status_code == 200
    replay = await code_step(client, await password_step(client, user.email), code)
    assert replay.status_code == 401
    assert replay.json()["field"] == "code"
    # An earlier step's code, still within the drift, is a replay too once a later one was used.
    earlier = await code_step(
        client, await password_step(client, user.email), clock.code(enrolled.secret, -1)
    )
    assert earlier.status_code == 401
    clock.advance()
    assert (
        await code_step(client, await password_step(client, user.email), clock.code(enrolled.secret))
    ).status_code == 200


async def test_two_racing_requests_with_one_code_one_wins(client: httpx.AsyncClient, clock: Clock) -> None:
    user = await make_user()
    enrolled = await enrol(client, user, clock)
    clock.advance()
    tokens = [await password_step(client, user.email) for _ in range(2)]
    code = clock.code(enrolled.secret)
    answers = await asyncio.gather(*(code_step(client, token, code) for token in tokens))
    assert sorted(answer.status_code for answer in answers) == [200, 401]


async def test_one_step_of_drift_either_way_and_no_more(client: httpx.AsyncClient, clock: Clock) -> None:
    user = await make_user()
    clock.advance(-10)
    enrolled = await enrol(client, user, clock)
    clock.advance(10)
    for offset in (-2, 2):
        answer = await code_step(
            client, await password_step(client, user.email), clock.code(enrolled.secret, offset)
        )
        assert answer.status_code == 401, offset
    for offset in (-1, 1):
        answer = await code_step(
            client, await password_step(client, user.email), clock.code(enrolled.secret, offset)
        )
        assert answer.status_code == 200, offset


async def test_recovery_codes_work_once_and_a_new_set_replaces_the_old(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    user = await make_user()
    enrolled = await enrol(client, user, clock)
    old = enrolled.recovery_codes
    assert (await code_step(client, await password_step(client, user.email), old[0])).status_code == 200
    again = await code_step(client, await password_step(client, user.email), old[0])
    assert again.status_code == 401
    # Typed without the dash and in capitals, a code still counts.
    typed = old[1].replace("-", "").upper()
    assert (await code_step(client, await password_step(client, user.email), typed)).status_code == 200

    clock.advance()
    renewed = await client.post(
        RECOVERY,
        json={"current_password": DEFAULT_PASSWORD, "code": clock.code(enrolled.secret)},
        headers=enrolled.headers,
    )
    assert renewed.status_code == 200, renewed.text
    new = renewed.json()["recovery_codes"]
    assert len(new) == 10 and not set(new) & set(old)
    assert (await code_step(client, await password_step(client, user.email), old[2])).status_code == 401
    assert (await code_step(client, await password_step(client, user.email), new[0])).status_code == 200


async def test_new_recovery_codes_need_the_password_and_a_code(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    user = await make_user()
    enrolled = await enrol(client, user, clock)
    clock.advance()
    wrong_password = await client.post(
        RECOVERY,
        json={"current_password": "not it at all", "code": clock.code(enrolled.secret)},
        headers=enrolled.headers,
    )
    assert wrong_password.status_code == 422 and wrong_password.json()["field"] == "current_password"
    wrong_code = await client.post(
        RECOVERY, json={"current_password": DEFAULT_PASSWORD, "code": "999999"}, headers=enrolled.headers
    )
    assert wrong_code.status_code == 422 and wrong_code.json()["field"] == "code"
    assert (
        await code_step(client, await password_step(client, user.email), enrolled.recovery_codes[0])
    ).status_code == 200


async def test_five_wrong_codes_lock_the_account_like_five_wrong_passwords(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    user = await make_user()
    enrolled = await enrol(client, user, clock)
    clock.advance()
    token = await password_step(client, user.email)
    right = clock.code(enrolled.secret)
    wrong = [f"{(int(right) + n) % 1_000_000:06d}" for n in range(1, 6)]
    for code in wrong:
        assert (await code_step(client, token, code)).status_code == 401
    locked = await code_step(client, token, right)
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0
    # The password step is locked too, from any address.
    password = await client.post(AUTH, json={"login": user.email, "password": DEFAULT_PASSWORD})
    assert password.status_code == 429


async def test_a_right_password_does_not_forgive_wrong_codes(client: httpx.AsyncClient, clock: Clock) -> None:
    user = await make_user()
    await enrol(client, user, clock)
    for _ in range(5):
        # Each round from an address of its own, with a new mfa_token: the right password must not
        # reset the account's count of wrong codes.
        async with client_from(random_address()) as elsewhere:
            token = await password_step(elsewhere, user.email)
            assert (await code_step(elsewhere, token, "000000")).status_code == 401
    async with client_from(random_address()) as elsewhere:
        response = await elsewhere.post(AUTH, json={"login": user.email, "password": DEFAULT_PASSWORD})
        assert response.status_code == 429


async def test_the_oauth2_form_is_refused_with_a_clear_401(client: httpx.AsyncClient) -> None:
    user = await make_user()
    await enrol(client, user)
    response = await client.post(
        AUTH, data={"grant_type": "password", "username": user.username, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 401
    assert "two-factor" in response.json()["detail"] and "/api/v1/user/auth/2fa" in response.json()["detail"]
    assert "access_token" not in response.text
    wrong = await client.post(AUTH, data={"username": user.username, "password": "not the password"})
    assert wrong.status_code == 401 and wrong.json()["detail"] == auth_service.WRONG_CREDENTIALS


async def test_disable_with_password_and_code(client: httpx.AsyncClient, clock: Clock) -> None:
    user = await make_user()
    enrolled = await enrol(client, user, clock)
    clock.advance()
    second = await code_step(client, await password_step(client, user.email), clock.code(enrolled.secret))
    other_device = {"Authorization": f"Bearer {second.json()['access_token']}"}
    clock.advance()
    code = clock.code(enrolled.secret)
    wrong_password = await client.post(
        DISABLE, json={"current_password": "not it at all", "code": code}, headers=enrolled.headers
    )
    assert wrong_password.status_code == 422 and wrong_password.json()["field"] == "current_password"
    wrong_code = await client.post(
        DISABLE, json={"current_password": DEFAULT_PASSWORD, "code": "000000"}, headers=enrolled.headers
    )
    assert wrong_code.status_code == 422 and wrong_code.json()["field"] == "code"
    done = await client.post(
        DISABLE, json={"current_password": DEFAULT_PASSWORD, "code": code}, headers=enrolled.headers
    )
    assert done.status_code == 204
    assert (await client.get(ME, headers=enrolled.headers)).json()["two_factor_enabled"] is False
    assert (await client.get(ME, headers=other_device)).status_code == 401
    direct = await client.post(AUTH, json={"login": user.email, "password": DEFAULT_PASSWORD})
    assert "access_token" in direct.json()
    again = await client.post(
        DISABLE, json={"current_password": DEFAULT_PASSWORD, "code": code}, headers=enrolled.headers
    )
    assert again.status_code == 409
    async with session_scope() as session:
        assert await session.get(TwoFactor, user.id) is None
        assert (await session.exec(select(RecoveryCode).where(RecoveryCode.user_id == user.id))).all() == []


async def test_disable_with_a_recovery_code(client: httpx.AsyncClient) -> None:
    user = await make_user()
    enrolled = await enrol(client, user)
    done = await client.post(
        DISABLE,
        json={"current_password": DEFAULT_PASSWORD, "code": enrolled.recovery_codes[3]},
        headers=enrolled.headers,
    )
    assert done.status_code == 204


async def test_the_mfa_token_works_once(client: httpx.AsyncClient, clock: Clock) -> None:
    user = await make_user()
    enrolled = await enrol(client, user, clock)
    token = await password_step(client, user.email)
    assert (await code_step(client, token, enrolled.recovery_codes[0])).status_code == 200
    reused = await code_step(client, token, enrolled.recovery_codes[1])
    assert reused.status_code == 401 and "log in again" in reused.json()["detail"]
    # The refused attempt used nothing up: that recovery code still works with a fresh token.
    assert (
        await code_step(client, await password_step(client, user.email), enrolled.recovery_codes[1])
    ).status_code == 200


async def test_a_wrong_code_keeps_the_mfa_token(client: httpx.AsyncClient, clock: Clock) -> None:
    user = await make_user()
    enrolled = await enrol(client, user, clock)
    clock.advance()
    token = await password_step(client, user.email)
    assert (
        await code_step(client, token, "000000" if clock.code(enrolled.secret) != "000000" else "111111")
    ).status_code == 401
    assert (await code_step(client, token, clock.code(enrolled.secret))).status_code == 200


async def test_two_racing_requests_with_one_mfa_token_and_two_codes_one_wins(
    client: httpx.AsyncClient,
) -> None:
    user = await make_user()
    enrolled = await enrol(client, user)
    token = await password_step(client, user.email)
    answers = await asyncio.gather(*(code_step(client, token, code) for code in enrolled.recovery_codes[:2]))
    assert sorted(answer.status_code for answer in answers) == [200, 401]
    assert len(await login_sessions(user.id)) == 2


async def test_the_mfa_token_expires(client: httpx.AsyncClient) -> None:
    user = await make_user()
    enrolled = await enrol(client, user)
    token = await password_step(client, user.email)
    redis = core_redis.get_redis()
    assert 290 < await redis.ttl(mfa.redis_key(token)) <= 300
    # Five minutes pass: the record's lifetime is cut to a millisecond rather than waited out.
    await redis.pexpire(mfa.redis_key(token), 1)
    await asyncio.sleep(0.05)
    expired = await code_step(client, token, enrolled.recovery_codes[0])
    assert expired.status_code == 401 and "expired" in expired.json()["detail"]


async def test_a_password_change_ends_a_pending_code_step(client: httpx.AsyncClient) -> None:
    user = await make_user()
    enrolled = await enrol(client, user)
    token = await password_step(client, user.email)
    changed = await client.patch(
        "/api/v1/user/settings",
        json={"current_password": DEFAULT_PASSWORD, "new_password": "a brand new passphrase"},
        headers=enrolled.headers,
    )
    assert changed.status_code == 200
    assert (await code_step(client, token, enrolled.recovery_codes[0])).status_code == 401


async def test_the_secret_is_encrypted_at_rest_and_codes_are_hashed(client: httpx.AsyncClient) -> None:
    user = await make_user()
    enrolled = await enrol(client, user)
    async with session_scope() as session:
        row = await session.get(TwoFactor, user.id)
        assert row is not None
        assert enrolled.secret not in row.secret_encrypted
        assert decrypt_secret(row.secret_encrypted) == enrolled.secret
        values: list[str] = []
        for table in ("two_factor", "recovery_code"):
            rows = (await session.exec(text(f"SELECT * FROM {table}"))).all()  # type: ignore[call-overload]
            values.extend(str(value) for row in rows for value in row)
    dump = " ".join(values)
    assert enrolled.secret not in dump and enrolled.secret.lower() not in dump.lower()
    for code in enrolled.recovery_codes:
        assert code not in dump and code.replace("-", "") not in dump


async def test_a_phished_password_alone_gets_no_tokens(client: httpx.AsyncClient) -> None:
    user = await make_user()
    await enrol(client, user)
    response = await client.post(AUTH, json={"login": user.email, "password": DEFAULT_PASSWORD})
    body = response.json()
    assert "access_token" not in body and "refresh_token" not in body
    # The mfa_token is no access token, and guessing codes with it runs into the rate limit.
    assert (await client.get(ME, headers={"Authorization": f"Bearer {body['mfa_token']}"})).status_code == 401
    assert len(await login_sessions(user.id)) == 1


async def test_an_mfa_token_of_one_user_cannot_complete_for_another(client: httpx.AsyncClient) -> None:
    victim, attacker = await make_user(), await make_user()
    await enrol(client, victim)
    attacker_enrolled = await enrol(client, attacker)
    victims_token = await password_step(client, victim.email)
    # The attacker's own valid codes are checked against the victim's secret and recovery codes.
    attacker_code = pyotp.TOTP(attacker_enrolled.secret).at(time.time(), counter_offset=1)
    for code in (attacker_code, attacker_enrolled.recovery_codes[0]):
        assert (await code_step(client, victims_token, code)).status_code == 401
    assert len(await login_sessions(victim.id)) == 1


async def test_a_forged_or_unknown_mfa_token_is_a_401(client: httpx.AsyncClient) -> None:
    response = await code_step(client, "x" * 43, "123456")
    assert response.status_code == 401
    malformed = await client.post("/api/v1/user/auth/2fa", json={"mfa_token": "x", "code": "12"})
    assert malformed.status_code == 422 and malformed.json()["detail"][0]["loc"] == ["body", "code"]


async def test_verify_code_is_one_function_others_can_call(client: httpx.AsyncClient, clock: Clock) -> None:
    user = await make_user()
    enrolled = await enrol(client, user, clock)
    clock.advance()
    async with session_scope() as session:
        await two_factor.verify_code(session, user=user, code=clock.code(enrolled.secret))
    async with session_scope() as session:
        await two_factor.verify_code(session, user=user, code=enrolled.recovery_codes[0])
    for used in (clock.code(enrolled.secret), enrolled.recovery_codes[0]):
        with pytest.raises(Exception, match="not right") as refused:
            async with session_scope() as session:
                await two_factor.verify_code(session, user=user, code=used)
        assert getattr(refused.value, "field", None) == "code"


async def test_the_schema_documents_both_answers_of_log_in_and_the_new_routes(
    client: httpx.AsyncClient,
) -> None:
    spec = (await client.get("/api/openapi.json")).json()
    answer = spec["paths"]["/api/v1/user/auth"]["post"]["responses"]["200"]["content"]["application/json"]
    refs = {option["$ref"].rpartition("/")[2] for option in answer["schema"]["anyOf"]}
    assert refs == {"TokenPair", "MfaChallenge"}
    assert spec["components"]["schemas"]["MfaChallenge"]["required"] == ["mfa_token", "expires_in"]
    routes = {
        "/api/v1/user/2fa/setup": ("TwoFactorSetup", {"200", "401", "409", "422", "429", "503"}),
        "/api/v1/user/2fa/enable": ("RecoveryCodes", {"200", "401", "409", "422", "429", "503"}),
        "/api/v1/user/2fa/disable": (None, {"204", "401", "409", "422", "429", "503"}),
        "/api/v1/user/2fa/recovery-codes": ("RecoveryCodes", {"200", "401", "409", "422", "429", "503"}),
        "/api/v1/user/auth/2fa": ("TokenPair", {"200", "401", "422", "429", "503"}),
    }
    for path, (model, statuses) in routes.items():
        operation = spec["paths"][path]["post"]
        assert set(operation["responses"]) == statuses, path
        assert operation["requestBody"]["content"]["application/json"]["schema"]
        if model:
            schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
            assert schema["$ref"].endswith(f"/{model}"), path


async def test_a_secret_that_cannot_be_decrypted_refuses_codes_without_a_500(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    user = await make_user()
    enrolled = await enrol(client, user, clock)
    async with session_scope() as session:
        row = await session.get(TwoFactor, user.id)
        assert row is not None
        # As if BACKEND_SECRET_KEY had changed since the secret was stored.
        row.secret_encrypted = Fernet(Fernet.generate_key()).encrypt(enrolled.secret.encode()).decode()
        session.add(row)
    clock.advance()
    answer = await code_step(client, await password_step(client, user.email), clock.code(enrolled.secret))
    assert answer.status_code == 401 and answer.json()["field"] == "code"


async def test_require_second_factor_passes_without_2fa_and_asks_with_it(client: httpx.AsyncClient) -> None:
    plain, guarded = await make_user(), await make_user()
    enrolled = await enrol(client, guarded)
    guarded = await reload_user(guarded.id)
    async with session_scope() as session:
        await two_factor.require_second_factor(session, user=plain, code=None)
    with pytest.raises(Invalid) as missing:
        async with session_scope() as session:
            await two_factor.require_second_factor(session, user=guarded, code=None)
    assert missing.value.field == "code"
    async with session_scope() as session:
        await two_factor.require_second_factor(session, user=guarded, code=enrolled.recovery_codes[0])
