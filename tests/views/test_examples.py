from pybackend.routes import item_factory
from pybackend.views.examples import example_detail


def test_example_detail_lists_the_topics_it_uses(app_request):
    app_request.matchdict = {"slug": "reddit"}
    app_request.context = item_factory("example")(app_request)
    result = example_detail(app_request)
    used = {page.item.slug for _, page in result["uses"]}
    assert {"python", "pylons", "pyramid"} <= used
    assert all(link.note("id") for link, _ in result["uses"])
