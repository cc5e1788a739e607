"""Tokens: random, hashed at rest, roles that nest."""
import pytest

from shared import auth


def test_tokens_identify_their_holder(db, clock):
    officer = auth.create_token(db, "officer", "Anh Minh", clock())
    supervisor = auth.create_token(db, "supervisor", "Chị Hoa", clock())
    assert officer != supervisor and len(officer) >= 20
    assert auth.identify(db, officer)["name"] == "Anh Minh"
    assert auth.identify(db, officer + "x") is None
    assert auth.identify(db, "") is None and auth.identify(db, None) is None
    stored = [row[0] for row in db.execute("SELECT hash FROM tokens")]
    assert officer not in stored and supervisor not in stored


def test_supervisors_may_act_as_officers_but_not_the_reverse(db, clock):
    officer = auth.identify(db, auth.create_token(db, "officer", "", clock()))
    supervisor = auth.identify(db, auth.create_token(db, "supervisor", "", clock()))
    assert auth.allowed(officer, "officer") and not auth.allowed(officer, "supervisor")
    assert auth.allowed(supervisor, "officer") and auth.allowed(supervisor, "supervisor")
    assert not auth.allowed(None, "officer")
    with pytest.raises(ValueError):
        auth.create_token(db, "citizen", "", clock())


def test_a_revoked_tokens_id_is_never_reused_and_its_sessions_end(db, clock):
    """Reported: revoking the newest token freed its id, the next token took it, and the
    old session (which stored only the id) came back as the new holder."""
    officer = auth.identify(db, auth.create_token(db, "officer", "Lan", clock()))
    session = auth.open_session(db, officer["id"], clock())
    assert auth.session_holder(db, session, clock())["name"] == "Lan"
    assert auth.revoke_token(db, officer["id"], clock())
    supervisor = auth.identify(db, auth.create_token(db, "supervisor", "Hùng", clock()))
    assert supervisor["id"] > officer["id"]
    assert auth.session_holder(db, session, clock()) is None
    assert [t["id"] for t in auth.list_tokens(db)] == [supervisor["id"]]
    assert not auth.revoke_token(db, officer["id"], clock())  # once


def test_sessions_end_at_logout_and_after_two_idle_weeks(db, clock):
    who = auth.identify(db, auth.create_token(db, "officer", "", clock()))
    kept, closed = auth.open_session(db, who["id"], clock()), auth.open_session(db, who["id"], clock())
    auth.close_session(db, closed)
    assert auth.session_holder(db, closed, clock()) is None
    clock.tick(13 * 86400)
    assert auth.session_holder(db, kept, clock()) is not None  # used: its idle time starts again
    clock.tick(13 * 86400)
    assert auth.session_holder(db, kept, clock()) is not None
    clock.tick(15 * 86400)
    assert auth.session_holder(db, kept, clock()) is None
    assert auth.session_holder(db, "", clock()) is None and auth.session_holder(db, None, clock()) is None


def test_devices_enrol_once_within_a_day_and_stop_when_revoked(db, clock):
    code = auth.invite_device(db, "kiosk", "Sảnh", None, clock())
    device, secret = auth.enrol_device(db, code, clock())
    assert device == {"id": device["id"], "kind": "kiosk", "name": "Sảnh", "counter_id": None}
    assert auth.enrol_device(db, code, clock()) is None  # one time only
    assert auth.identify_device(db, secret) == device
    late = auth.invite_device(db, "rating", "Quầy 2", 2, clock())
    clock.tick(25 * 3600)
    assert auth.enrol_device(db, late, clock()) is None  # expired after 24 h
    assert auth.revoke_device(db, device["id"], clock())
    assert auth.identify_device(db, secret) is None
    again = auth.enrol_device(db, auth.invite_device(db, "kiosk", "Sảnh", None, clock()), clock())[0]
    assert again["id"] > device["id"]  # never reused
    stored = " ".join(str(v) for row in db.execute("SELECT * FROM devices") for v in tuple(row))
    assert secret not in stored and code not in stored


@pytest.mark.parametrize("kind, name, counter", [
    ("rating", "Quầy 1", None), ("kiosk", "Sảnh", 1), ("phone", "x", None), ("kiosk", "", None),
    ("kiosk", "x" * 41, None), ("rating", "Quầy 99", 99),
])
def test_bad_invitations_are_refused(db, clock, kind, name, counter):
    with pytest.raises(ValueError):
        auth.invite_device(db, kind, name, counter, clock())

