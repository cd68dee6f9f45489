"""What the scenarios request and which options select them (no server is run here)."""

import pytest

from bench import run
from bench.scenarios import default_scenarios, mix_paths, scenario_names


def test_every_scenario_the_targets_judge_exists_once():
    names = scenario_names()
    assert len(names) == len(set(names))
    for name in ("topic", "topic_304", "cold_topic", "cold_example", "cold_list"):
        assert name in names
    for name in ("sitemap", "admin_edit_form", "admin_save", "edit_load"):
        assert name in names
    variants = {v.variant for s in default_scenarios() for v in s.variants}
    assert variants == {"session", "analytics"}


def test_the_invented_session_token_is_new_each_run():
    def session_header():
        topic = next(s for s in default_scenarios() if s.name == "topic")
        return next(v.headers[0] for v in topic.variants if v.variant == "session")

    assert session_header().startswith("Cookie: pybackend_session=")
    assert session_header() != session_header()


SITE = {
    "slugs": {
        "topic": ["python", "django", "kafka"] + [f"generated-library-{i:06d}" for i in range(40)],
        "example": ["instagram", "reddit"],
    },
    "hot": "django",
    "edited": "kafka",
}


def test_the_mix_has_50_urls_in_both_languages_with_the_edited_topic():
    paths = mix_paths(SITE, {"topics": 2, "examples": 1})
    assert len(paths) == 50
    for path in ("/", "/en/", "/topics/kafka", "/en/topics/kafka", "/topics/django"):
        assert path in paths
    assert "/topics?page=2" in paths
    assert "/examples/reddit" in paths and "/en/examples/reddit" in paths


def test_a_small_site_repeats_its_urls_up_to_50():
    site = {**SITE, "slugs": {"topic": ["django", "kafka"], "example": []}}
    paths = mix_paths(site, {"topics": 1, "examples": 1})
    assert len(paths) == 50
    assert "/topics?page=2" not in paths


def test_defaults_and_scenario_selection():
    args = run.parse_args([], environ={})
    assert args.sizes == [12, 100_000]
    assert args.runs == 3 and args.duration == 3
    assert args.scenarios == set(scenario_names())
    quick = run.parse_args(["--quick", "--scenarios", "topic,edit_load"], environ={})
    assert quick.runs == 1 and quick.duration == 2
    assert quick.scenarios == {"topic", "edit_load"}


def test_an_unknown_scenario_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        run.parse_args(["--scenarios", "topic,nope"], environ={})
    assert exit_info.value.code == 2
    assert "unknown scenario 'nope'" in capsys.readouterr().err
