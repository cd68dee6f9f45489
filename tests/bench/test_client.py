"""The bench's form parsing and its writer's bookkeeping (no server is run here)."""

from bench.client import Response, find_form, parse_forms
from bench.writer import edited_body, percentile, summarize

PAGE = """
<form method="get" action="/search"><input name="q" type="search" value=""></form>
<form method="post" id="item-form" action="/admin/topics/9">
  <input type="hidden" name="csrf_token" value="tok&amp;en">
  <input id="version" name="version" type="hidden" value="4">
  <input id="title" name="title" type="text" value="Kafka &quot;streams&quot;">
  <select id="kind" name="kind" required><option value="language">language</option>
    <option selected value="messaging">messaging</option></select>
  <select name="links-0-target"><option value="">—</option><option value="3">Django</option>
  </select>
  <textarea id="body" name="body">\r\nFirst line &lt;b&gt;\nsecond</textarea>
  <input id="translation_current" name="translation_current" type="checkbox" value="y">
  <input name="published" type="checkbox" value="y" checked>
  <input name="off" type="text" value="x" disabled>
  <button type="submit" name="action" value="preview">Preview</button>
  <button type="submit" name="action" value="save">Save</button>
</form>
"""


def test_parse_forms_collects_what_a_browser_submits():
    form = find_form(PAGE, form_id="item-form")
    assert form.action == "/admin/topics/9"
    assert form.fields == [
        ("csrf_token", "tok&en"),
        ("version", "4"),
        ("title", 'Kafka "streams"'),
        ("kind", "messaging"),
        ("links-0-target", ""),  # no option selected: the first one
        ("body", "First line <b>\nsecond"),  # the newline after <textarea> is not the value's
        ("published", "y"),  # an unchecked box and a disabled field are not sent
    ]
    assert form.buttons == [("action", "preview"), ("action", "save")]


def test_find_form_by_action_and_replaced_values():
    assert [f.action for f in parse_forms(PAGE)] == ["/search", "/admin/topics/9"]
    form = find_form(PAGE, action="/admin/topics/9")
    fields = dict(form.replaced(body="new", action="save"))
    assert fields["body"] == "new"
    assert fields["action"] == "save"
    assert fields["version"] == "4"
    assert find_form(PAGE, action="/login") is None


def test_location_path_drops_the_public_host():
    response = Response(303, [("Location", "http://localhost:6543/admin/topics/9?x=1")], b"", 1)
    assert response.location_path == "/admin/topics/9?x=1"


def test_edited_body_replaces_its_own_line_instead_of_growing():
    once = edited_body("Body text.", 1)
    twice = edited_body(once, 2)
    assert once == "Body text.\n\nSuntingan bench nomor 1."
    assert twice == "Body text.\n\nSuntingan bench nomor 2."


def test_percentile_nearest_rank():
    assert percentile([], 50) is None
    assert percentile([5, 1, 3], 50) == 3
    assert percentile(list(range(1, 101)), 99) == 99


def test_summarize_counts_anything_but_a_303_as_an_error():
    saves = [
        {"status": 303, "post_ms": 10.0, "cycle_ms": 30.0, "form_ms": 5.0},
        {"status": 409, "post_ms": 20.0, "cycle_ms": 40.0, "form_ms": 5.0},
        {"status": None, "error": "ConnectionRefusedError()"},
        {"status": "not saved", "interrupted": True, "form_ms": 7.0},
    ]
    summary = summarize(saves, elapsed_s=4.0)
    assert summary["saves"] == 3
    assert summary["errors"] == 2
    assert summary["interrupted"] == 1
    assert summary["save_p50_ms"] == 10.0
    assert summary["form_p50_ms"] == 5.0
