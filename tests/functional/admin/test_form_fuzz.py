"""Hypothesis over every field of the topic form: a 303 or a 400, never a 500 (IN-1, IN-2)."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pybackend.views.admin.items import MERGE_FIELDS
from tests.functional.admin_helpers import csrf, logged_in

FIELDS = [
    *MERGE_FIELDS,
    "comment",
    "translation_current",
    "links-0-target",
    "links-0-kind",
    "links-0-note_id",
    "links-0-note_en",
    "action",
]

nasty = st.one_of(
    st.text(max_size=60),
    st.sampled_from(
        [
            "",
            "\x00",
            "a\u202eb",
            "django",
            "flask",
            "../../etc",
            "%00",
            "\ud7ff",
            "x" * 400,
            "1",
            "-1",
            "99999999999999999999",
            "publish",
            "draft",
            "preview",
            "related_to",
            "javascript:alert(1)",
            "https://ok.example/",
        ]
    ),
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(values=st.dictionaries(st.sampled_from(FIELDS), nasty, max_size=len(FIELDS)))
def test_topic_form_never_fails_with_a_500(testapp, dbsession, values):
    if not testapp.cookies:
        logged_in(testapp, dbsession, "fuzz", "editor")
    token = csrf(testapp.get("/admin/topics/new"))
    res = testapp.post("/admin/topics/new", {**values, "csrf_token": token}, expect_errors=True)
    assert res.status_int in (303, 400), (res.status_int, values)
