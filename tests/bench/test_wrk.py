"""Parsing wrk's output and picking the median run (no wrk is run here)."""

import pytest

from bench.wrk import CYCLE_PATHS_LUA, lua_string, median_run, parse_wrk

WRK_OUTPUT = """\
Running 3s test @ http://127.0.0.1:6543/topics/django
  1 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    21.30ms   10.12ms 183.70ms   86.01%
    Req/Sec     2.17k   210.33     2.51k    70.00%
  Latency Distribution
     50%   20.84ms
     75%   24.10ms
     90%  812.00us
     99%    1.20s
  6501 requests in 3.00s, 74.21MB read
  Socket errors: connect 0, read 2, write 1, timeout 4
  Non-2xx or 3xx responses: 3
Requests/sec:   2166.91
Transfer/sec:     24.70MB
"""


def test_parse_wrk_reads_throughput_percentiles_in_ms_and_errors():
    result = parse_wrk(WRK_OUTPUT)
    assert result["rps"] == 2166.91
    assert result["requests"] == 6501
    assert result["p50_ms"] == 20.84
    assert result["p90_ms"] == 0.812  # microseconds
    assert result["p99_ms"] == 1200.0  # seconds
    assert result["socket_errors"] == 7
    assert result["socket_error_detail"] == {"connect": 0, "read": 2, "write": 1, "timeout": 4}
    assert result["non_2xx_3xx"] == 3
    assert result["errors"] == 10


def test_parse_wrk_without_errors_or_latency_lines():
    result = parse_wrk("  10 requests in 1.00s, 1KB read\nRequests/sec:     10.00\n")
    assert result["rps"] == 10.0
    assert result["errors"] == 0
    assert result["p99_ms"] is None


def run(rps, p99, errors=0):
    return {"rps": rps, "p99_ms": p99, "errors": errors}


def test_median_run_keeps_the_middle_run_and_every_runs_errors():
    middle = median_run([run(300, 9), run(100, 30, errors=2), run(200, 12)])
    assert middle["rps"] == 200
    assert middle["rps_runs"] == [300, 100, 200]
    assert middle["errors"] == 2  # the slowest run's errors are not hidden


def test_median_run_by_p99():
    assert median_run([run(300, 9), run(100, 30), run(200, 12)], "p99_ms")["p99_ms"] == 12


@pytest.mark.parametrize("value", ['say "hi"', "back\\slash", "two\nlines"])
def test_lua_string_round_trips_quotes_backslashes_newlines(value):
    literal = lua_string(value)
    assert literal.startswith('"') and literal.endswith('"')
    body = literal[1:-1]
    assert '"' not in body.replace('\\"', "")
    assert "\n" not in body


def test_cycle_script_lists_every_path_in_order():
    script = CYCLE_PATHS_LUA % ", ".join(lua_string(p) for p in ["/", "/en/", "/topics?page=2"])
    assert 'local paths = {"/", "/en/", "/topics?page=2"}' in script
    assert "n % #paths + 1" in script
