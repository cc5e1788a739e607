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


def test_the_counters_keep_the_kiosks_promises_past_closing_whatever_the_margin():
    """center.promise_past_closing_min trades warnings for overtime: with any margin every
    citizen not served was warned (the counters call every promised number after closing and
    only those); a longer margin warns fewer and calls more after closing (--promise)."""
    runs = {m: wait_model.play_day("one_counter", 2029, history=1, promise=m) for m in (0, 60)}
    for m, run in runs.items():
        assert run["promise_min"] == m and run["new"]["not_served_unwarned"] == 0
    assert runs[0]["new"]["warned"] > runs[60]["new"]["warned"]
    assert runs[0]["new"]["after_closing"] < runs[60]["new"]["after_closing"]
    assert 0 < runs[60]["new"]["after_closing_last_min"]
    sweep = {m: {"one_counter": {"new": wait_model.pooled([r], "new")}}
             for m, r in runs.items()}
    assert f"| 60 | {runs[60]['new']['warned']} / " in wait_model.promise_table(sweep)


def test_the_phone_pages_warning_is_scored_among_those_waiting():
    tickets = {1: {"called": None}, 2: {"called": "16:50"}, 3: {"called": None}, 4: {"called": "16:40"}}
    assert wait_model.scored({1: True, 2: True, 3: False, 4: False}, tickets) == {
        "waiting": 4, "warned": 2, "warned_served": 1, "not_served_unwarned": 1}
    live = {m: {"waiting": 4, "warned": 2, "warned_served": 1, "not_served_unwarned": 1} for m in wait_model.LOOKS}
    assert "| 16:00 | 4 / 2 / 1 / 1 |" in wait_model.live_table({"peak": {"live": live}})
