"""Judging the targets on made-up rows: what PASS, FAIL and N/A depend on (no timing)."""

import pytest

from bench.targets import TARGETS, evaluate_targets


def row(scenario, size=100_000, c=10, rps=1000.0, ratio=1.0, variant="", **kw):
    base = {
        "backend": "sqlite",
        "size": size,
        "scenario": scenario,
        "variant": variant,
        "connections": c,
        "rps": rps,
        "p50_ms": 1.0,
        "p99_ms": 5.0,
        "errors": 0,
        "note": "",
        "ratio": ratio,
        "ratio_ref": None,
        "ratio_hello_304": None,
    }
    return {**base, **kw}


SERVERS = [{"server": "pybackend", "backend": "sqlite", "size": 100_000, "peak_rss_mb": 100.0}]


def judged(rows, **kw):
    return {t["target"]: t for t in evaluate_targets(rows, SERVERS, **kw)}


def result_of(targets, start):
    return next(t for name, t in targets.items() if name.startswith(start))


def test_topic_ratio_below_the_factor_fails_and_names_the_worst_row():
    targets = judged([row("topic", c=10, ratio=0.95), row("topic", c=50, ratio=0.79)])
    topic = result_of(targets, "topic req/s")
    assert topic["result"] == "FAIL"
    assert "0.79" in topic["detail"] and "c=50" in topic["detail"]


def test_topic_at_the_factor_passes():
    assert (
        result_of(judged([row("topic", ratio=TARGETS["topic"])]), "topic req/s")["result"] == "PASS"
    )


def test_a_scenario_not_run_is_not_applicable_and_an_unmeasured_row_fails():
    targets = judged([row("topic"), row("cold_topic", rps=None, ratio=None)])
    assert result_of(targets, "cold_example")["result"] == "N/A"
    assert result_of(targets, "cold_topic")["result"] == "FAIL"


def test_cookie_variants_are_judged_against_the_same_page_without_a_cookie():
    rows = [
        row("topic"),
        row("cookie_bogus", variant="session", ratio=0.9, ratio_ref=0.5),
        row("cookie_bogus", variant="analytics", ratio=0.1, ratio_ref=0.95),
    ]
    targets = judged(rows)
    # The ratio to hello does not matter here, only the one to the cookie-less page.
    assert result_of(targets, "cookie_bogus/session")["result"] == "FAIL"
    assert result_of(targets, "cookie_bogus/analytics")["result"] == "PASS"


def test_edit_load_targets_and_writer_errors():
    rows = [
        row("edit_load", variant="hot", ratio_ref=0.85),
        row("edit_load", variant="mix", ratio_ref=0.65),
    ]
    writer = {"backend": "sqlite", "size": 100_000, "summary": {"saves": 9, "errors": 2}}
    targets = judged(rows, writers=[writer])
    assert result_of(targets, "edit_load/hot")["result"] == "PASS"
    assert result_of(targets, "edit_load/mix")["result"] == "FAIL"
    assert "2 errors" in result_of(targets, "edit_load/hot")["detail"]
    assert targets["0 errors"]["result"] == "FAIL"


def measurement(
    scenario, variant="", size=100_000, status=200, size_bytes=1000, first=10.0, ms=10.0
):
    return {
        "backend": "sqlite",
        "size": size,
        "scenario": scenario,
        "variant": variant,
        "status": status,
        "bytes": size_bytes,
        "first_ms": first,
        "ms": ms,
        "repeat_ms": [ms],
    }


@pytest.mark.parametrize(
    ("size_bytes", "ms", "expected"),
    [(150_000, 50.0, "PASS"), (250_000, 50.0, "FAIL"), (150_000, 150.0, "FAIL")],
)
def test_admin_edit_form_needs_both_size_and_time(size_bytes, ms, expected):
    found = [measurement("admin_edit_form", size_bytes=size_bytes, ms=ms)]
    assert result_of(judged([row("topic")], measurements=found), "admin edit")["result"] == expected


def test_admin_edit_form_is_judged_at_the_largest_size_only():
    found = [measurement("admin_edit_form", size=12, size_bytes=10**9)]
    assert result_of(judged([row("topic")], measurements=found), "admin edit")["result"] == "N/A"


@pytest.mark.parametrize(
    ("ms", "status", "expected"), [(60.0, 200, "PASS"), (140.0, 200, "FAIL"), (None, 409, "FAIL")]
)
def test_admin_save_passes_only_under_the_limit_with_every_save_answered(ms, status, expected):
    found = [measurement("admin_save", ms=ms, status=status)]
    assert result_of(judged([row("topic")], measurements=found), "admin save")["result"] == expected


def test_sitemap_is_judged_on_the_first_request_of_each_file():
    found = [
        measurement("sitemap", "index", first=20.0, ms=1.0),
        measurement("sitemap", "child", first=250.0, ms=1.0),
    ]
    sitemap = result_of(judged([row("topic")], measurements=found), "sitemap")
    assert sitemap["result"] == "FAIL"
    assert "250" in sitemap["detail"]


def test_search_names_must_not_lose_throughput_at_more_connections():
    rows = [row("search_names", c=1), row("search_names", c=10, rps=150.0)]
    more = judged([*rows, row("search_names", c=50, rps=160.0)])
    fewer = judged([*rows, row("search_names", c=50, rps=90.0)])
    assert result_of(more, "search_names req/s at 50")["result"] == "PASS"
    assert result_of(fewer, "search_names req/s at 50")["result"] == "FAIL"


def test_search_latency_needs_the_100000_size():
    rows = [row("search", size=1000, c=1, p99_ms=1.0)]
    assert result_of(judged(rows), "search p99")["result"] == "N/A"
    rows = [row("search", c=1, p99_ms=1.0), row("search_names", c=1, p99_ms=60.0)]
    assert result_of(judged(rows), "search p99")["result"] == "FAIL"


def test_size_drift_compares_ratios_to_hello():
    small = [row(s, size=12, ratio=1.0) for s in ("home", "list", "topic")]
    ok = judged([*small, *(row(s, ratio=0.85) for s in ("home", "list", "topic"))])
    drifted = judged([*small, row("home", ratio=0.7), row("list"), row("topic")])
    assert result_of(ok, "home/list/topic")["result"] == "PASS"
    assert result_of(drifted, "home/list/topic")["result"] == "FAIL"


def test_rss_and_errors():
    fat = [{**SERVERS[0], "peak_rss_mb": 151.0}]
    targets = {t["target"]: t for t in evaluate_targets([row("topic", errors=1)], fat)}
    assert result_of(targets, "peak RSS")["result"] == "FAIL"
    assert targets["0 errors"]["result"] == "FAIL"


def test_a_writer_that_saved_nothing_says_how_long_its_form_took():
    rows = [row("edit_load", variant="hot", ratio_ref=0.3)]
    writer = {
        "backend": "sqlite",
        "size": 100_000,
        "summary": {"saves": 0, "errors": 0, "save_p50_ms": None, "form_p50_ms": 37_366.7},
    }
    detail = result_of(judged(rows, writers=[writer]), "edit_load/hot")["detail"]
    assert "0 saves" in detail and "37.4 s" in detail
