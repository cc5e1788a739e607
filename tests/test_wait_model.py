"""bench/wait_model.py: a model-only day over the real domain functions, old and new estimates scored."""
import wait_model


def test_a_normal_day_scores_both_estimators_from_the_same_citizens():
    run = wait_model.play_day("normal", 2026, history=1)
    old, new = run["old"], run["new"]
    assert run["citizens"] == old["citizens"] == new["citizens"] == 150
    assert new["kept_pct"] >= 80 and new["too_short_pct"] < 10 and new["no_figure_pct"] == 0
    assert old["no_figure_pct"] > 0          # "not enough data" before the third finished ticket
    assert new["kept_pct"] > old["kept_pct"]
    assert run["issue_ms"]["p50"] > 0 and run["phone_ms"]["p50"] < run["issue_ms"]["p50"]
    # the phone page's warning scored later in the day, among the citizens then waiting
    assert list(run["live"]) == list(wait_model.LOOKS)
    assert all(0 <= r["warned_served"] <= r["warned"] <= r["waiting"] and r["not_served_unwarned"] <= r["waiting"]
               for r in run["live"].values())


def test_a_closing_counter_and_the_peak_shape_play_out():
    run = wait_model.play_day("closing", 2026, history=0)
    assert run["citizens"] == 220 and run["new"]["not_served_unwarned"] <= run["new"]["not_served"]
    results = {"closing": {"days": 1, "old": wait_model.pooled([run], "old"), "new": wait_model.pooled([run], "new"),
                           "issue_ms": run["issue_ms"], "phone_ms": run["phone_ms"]["max"]}}
    table = wait_model.table(results)
    assert table.splitlines()[0] == "| | closing old | closing new |" and "| 220 (1) | same |" in table


def test_the_warnings_trade_off_is_counted_margin_by_margin():
    """--margins: warning those projected past closing + m; at m = 0 it is the estimator's own rule."""
    run = wait_model.play_day("one_counter", 2029, history=1, beyond=True)
    rows = wait_model.margins([run])
    warned = [r["warned"] for r in rows]
    unwarned = [r["not_served_unwarned"] for r in rows]
    assert warned == sorted(warned, reverse=True) and unwarned == sorted(unwarned) and warned[0] > warned[-1]
    at_zero = next(r for r in rows if r["margin_min"] == 0)
    assert at_zero["warned"] == run["new"]["warned"] > 0
    assert at_zero["not_served_unwarned"] == run["new"]["not_served_unwarned"]
    assert "| +0 | " in wait_model.margins_table({"one_counter": {"margins": rows}})


def test_the_phone_pages_warning_is_scored_among_those_waiting():
    tickets = {1: {"called": None}, 2: {"called": "16:50"}, 3: {"called": None}, 4: {"called": "16:40"}}
    assert wait_model.scored({1: True, 2: True, 3: False, 4: False}, tickets) == {
        "waiting": 4, "warned": 2, "warned_served": 1, "not_served_unwarned": 1}
    live = {m: {"waiting": 4, "warned": 2, "warned_served": 1, "not_served_unwarned": 1} for m in wait_model.LOOKS}
    assert "| 16:00 | 4 / 2 / 1 / 1 |" in wait_model.live_table({"peak": {"live": live}})
