from django.urls import path

from duoapi import views

app_name = "duoapi"

# Duo's paths, exactly: applications change only the host they call.
urlpatterns = [
    path("auth/v2/ping", views.ping, name="ping"),
    path("auth/v2/check", views.check, name="check"),
    path("auth/v2/preauth", views.preauth, name="preauth"),
    path("auth/v2/auth", views.auth, name="auth"),
    path("auth/v2/auth_status", views.auth_status, name="auth_status"),
]
