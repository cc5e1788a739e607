"""The supervisor blueprint is guarded once for all its routes (supervisor/__init__.py)."""


def supervisor_routes(app) -> list[tuple[str, str]]:
    """(method, url) of every route of the blueprint, its own static files included: a route
    added later is walked here without anyone listing it."""
    adapter = app.url_map.bind("localhost")
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] != "supervisor":
            continue
        url = adapter.build(rule.endpoint, {name: 1 for name in rule.arguments})
        routes += [(method, url) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return routes


def ask(client, method, url, headers):
    body = {"json": {}} if method != "GET" else {}
    return client.open(url, method=method, headers=headers, **body)


def test_every_supervisor_route_refuses_anyone_else(app, officer, supervisor):
    routes = supervisor_routes(app)
    assert {("GET", "/supervisor"), ("PUT", "/api/notice"), ("PATCH", "/api/services/1"), ("GET", "/devices"),
            ("POST", "/api/counters"), ("GET", "/reports/help"), ("GET", "/api/bookings")} <= set(routes)
    nobody = app.test_client()
    for method, url in routes:
        anonymous, staff = ask(nobody, method, url, {}), ask(nobody, method, url, officer)
        if url.startswith("/api/"):
            assert (anonymous.status_code, anonymous.get_json()["error"]) == (401, "unauthorized"), (method, url)
            assert (staff.status_code, staff.get_json()["error"]) == (403, "forbidden"), (method, url)
        else:  # a page: the login page in its place (200 for nobody, 403 for an officer), never the page
            assert anonymous.status_code == 200 and 'id="login-page"' in anonymous.text, (method, url)
            assert staff.status_code == 403 and 'id="login-page"' in staff.text, (method, url)
    # ... while a supervisor gets the pages themselves.
    assert 'id="login-page"' not in nobody.get("/supervisor", headers=supervisor).text
    assert nobody.get("/api/devices", headers=supervisor).status_code == 200


def test_the_login_page_says_which_role_it_wants(client):
    page = client.get("/devices").text
    assert 'data-role="supervisor"' in page and 'id="login-form"' in page and "/static/login.js" in page


def test_views_carry_no_supervisor_decorator():
    """The guard is the blueprint's: a decorator per view is what a new route forgets."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    views = [p for folder in ("kiosk", "counter", "display", "supervisor") for p in (root / folder).rglob("*.py")]
    assert views and [str(p) for p in views if '@require("supervisor")' in p.read_text(encoding="utf-8")] == []
