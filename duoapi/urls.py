from django.urls import path

from bypass.stores import standalone_only
from duoapi import universal, views

app_name = "duoapi"

# Duo's paths, exactly: applications change only the host they call. In Duo
# account mode applications talk to Duo itself, so none of these exists (404).
urlpatterns = [
    path(route, standalone_only(view), name=name)
    for route, view, name in [
        ("auth/v2/ping", views.ping, "ping"),
        ("auth/v2/check", views.check, "check"),
        ("auth/v2/preauth", views.preauth, "preauth"),
        ("auth/v2/auth", views.auth, "auth"),
        ("auth/v2/auth_status", views.auth_status, "auth_status"),
        # The Universal Prompt (Web SDK v4); the prompt's own path is the portal's.
        ("oauth/v1/health_check", universal.health_check, "health_check"),
        ("oauth/v1/authorize", universal.authorize, "authorize"),
        ("oauth/v1/token", universal.token, "token"),
        ("oauth/v1/prompt/<str:key>", universal.prompt, "prompt"),
    ]
]
