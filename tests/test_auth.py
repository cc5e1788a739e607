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
