from django.urls import path

from duoapi import universal, views

app_name = "duoapi"

# Duo's paths, exactly: applications change only the host they call.
urlpatterns = [
    path("auth/v2/ping", views.ping, name="ping"),
    path("auth/v2/check", views.check, name="check"),
    path("auth/v2/preauth", views.preauth, name="preauth"),
    path("auth/v2/auth", views.auth, name="auth"),
    path("auth/v2/auth_status", views.auth_status, name="auth_status"),
    # The Universal Prompt (Web SDK v4); the prompt's own path is the portal's.
    path("oauth/v1/health_check", universal.health_check, name="health_check"),
    path("oauth/v1/authorize", universal.authorize, name="authorize"),
    path("oauth/v1/token", universal.token, name="token"),
    path("oauth/v1/prompt/<str:key>", universal.prompt, name="prompt"),
]
