from ...services import dashboard, review, schedule
from . import admin_view_config

LIMIT = 10


@admin_view_config(route_name="admin.home", renderer="pybackend:templates/admin/dashboard.jinja2")
def dashboard_view(request):
    dbsession = request.dbsession
    user = request.identity
    return {
        "admin_section": "home",
        **dashboard.summary(dbsession, LIMIT),
        # What waits for whom: administrators decide on what is pending; each editor
        # sees what they submitted and what came back to them.
        "review_required": review.required(dbsession),
        "review_pending": review.waiting(
            dbsession, "pending", LIMIT, None if user.role == "admin" else user.id
        ),
        "review_returned": review.waiting(dbsession, "returned", LIMIT, user.id),
        "scheduled": schedule.upcoming(dbsession, LIMIT),
        "scheduled_count": schedule.count_pending(dbsession),
    }
