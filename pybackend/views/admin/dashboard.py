from ...services import dashboard
from . import admin_view_config


@admin_view_config(route_name="admin.home", renderer="pybackend:templates/admin/dashboard.jinja2")
def dashboard_view(request):
    return {"admin_section": "home", **dashboard.summary(request.dbsession)}
