"""Running wrk: the command, its Lua scripts, parsing its output, the median of runs."""

import re
import subprocess

from .servers import HOST, HOST_HEADER, ROOT, BenchError, settle

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
WRK_TIMEOUT = "5s"


def _ms(value, unit):
    return float(value) * _UNITS_MS[unit]


def parse_wrk(output):
    """req/s, latency percentiles (ms) and errors from ``wrk --latency`` output."""
    result = {"rps": 0.0, "requests": 0, "non_2xx_3xx": 0, "socket_errors": 0}
    match = re.search(r"^Requests/sec:\s*([\d.]+)", output, re.M)
    if match:
        result["rps"] = float(match.group(1))
    match = re.search(r"^\s*(\d+) requests in", output, re.M)
    if match:
        result["requests"] = int(match.group(1))
    for percent in (50, 75, 90, 99):
        match = re.search(rf"^\s*{percent}%\s+([\d.]+)(us|ms|s|m|h)\s*$", output, re.M)
        result[f"p{percent}_ms"] = round(_ms(*match.groups()), 3) if match else None
    match = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", output)
    if match:
        result["non_2xx_3xx"] = int(match.group(1))
    match = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if match:
        counts = [int(n) for n in match.groups()]
        result["socket_errors"] = sum(counts)
        result["socket_error_detail"] = dict(
            zip(("connect", "read", "write", "timeout"), counts, strict=True)
        )
    result["errors"] = result["non_2xx_3xx"] + result["socket_errors"]
    return result


def median_run(results, key="rps"):
    """The run in the middle by ``key``; the others' req/s and p99 are kept beside it."""
    ordered = sorted(results, key=lambda r: r[key] if r[key] is not None else float("inf"))
    middle = dict(ordered[len(ordered) // 2])
    middle["rps_runs"] = [r["rps"] for r in results]
    middle["p99_runs"] = [r["p99_ms"] for r in results]
    # An error in any run counts: the median run alone could hide one.
    middle["errors"] = sum(r["errors"] for r in results)
    return middle


def wrk_command(port, path, connections, duration, headers=(), script=None):
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{duration}s",
        "--timeout",
        WRK_TIMEOUT,
        "--latency",
        "-H",
        f"Host: {HOST_HEADER}",
    ]
    for header in headers:
        command += ["-H", header]
    if script is not None:
        command += ["-s", str(script)]
    command.append(f"http://{HOST}:{port}{path}")
    return command


def run_wrk(port, path, connections, duration, headers=(), script=None):
    """One wrk run, parsed; then wait until the server's queue is empty (see settle)."""
    command = wrk_command(port, path, connections, duration, headers, script)
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=duration + 60, cwd=ROOT
        )
    except subprocess.TimeoutExpired as e:
        raise BenchError(f"wrk did not finish: {' '.join(command)}") from e
    if result.returncode != 0:
        raise BenchError(f"wrk failed ({result.returncode}): {result.stderr.strip()}")
    parsed = parse_wrk(result.stdout)
    parsed["command"] = command
    parsed["raw"] = result.stdout
    settle(port)
    return parsed


def wrk_version():
    try:
        result = subprocess.run(["wrk", "-v"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    line = (result.stdout or result.stderr).strip().splitlines()
    return line[0] if line else None


# ---------------------------------------------------------------------------
# Lua scripts
# ---------------------------------------------------------------------------


def lua_string(value):
    """A Lua string literal (double-quoted) for ``value``."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


# "search_names": each request searches a random two-syllable prefix of the generator's
# names, alternately in Indonesian and English, so nearly every request misses the page
# cache and measures the search itself.
SEARCH_NAMES_LUA = """
local syllables = {%s}
local n = 0
math.randomseed(os.time())
request = function()
  n = n + 1
  local q = syllables[math.random(#syllables)] .. syllables[math.random(#syllables)]
  local prefix = (n %% 2 == 0) and "/en" or ""
  return wrk.format("GET", prefix .. "/search?q=" .. q)
end
"""

# The cold scenarios: a random path from a file (one a line, Indonesian), "/en" in front
# of every other one. The file holds every topic, every example or every list page of
# the database, so most requests miss the page cache.
RANDOM_PATHS_LUA = """
local paths = {}
for line in io.lines(%s) do
  if #line > 0 then paths[#paths + 1] = line end
end
local n = 0
math.randomseed(os.time())
request = function()
  n = n + 1
  local path = paths[math.random(#paths)]
  local prefix = (n %% 2 == 0) and "/en" or ""
  return wrk.format("GET", prefix .. path)
end
"""

# The edit_load mix: the same URLs over and over, in order (a reader population that
# keeps these pages in the page cache unless an edit invalidates them).
CYCLE_PATHS_LUA = """
local paths = {%s}
local n = 0
request = function()
  n = n %% #paths + 1
  return wrk.format("GET", paths[n])
end
"""


def write_search_names_script(path, syllables):
    path.write_text(SEARCH_NAMES_LUA % ", ".join(lua_string(s) for s in syllables))
    return path


def write_random_paths_script(path, paths):
    """A script requesting random ``paths`` (kept in a file beside it: 100 000 lines)."""
    listing = path.with_suffix(".txt")
    listing.write_text("".join(p + "\n" for p in paths))
    path.write_text(RANDOM_PATHS_LUA % lua_string(str(listing)))
    return path


def write_cycle_script(path, paths):
    path.write_text(CYCLE_PATHS_LUA % ", ".join(lua_string(p) for p in paths))
    return path
