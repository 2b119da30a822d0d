"""Duo's paths: /admin/v1/... and /auth/v2/..., plus the stand-in's own /devduo/control."""

from django.urls import path

from duoapi.devduo import views

urlpatterns = [
    path("admin/v1/users", views.users),
    path("admin/v1/users/<str:user_id>", views.user),
    path("admin/v1/users/<str:user_id>/bypass_codes", views.user_bypass_codes),
    path("admin/v1/bypass_codes", views.bypass_codes),
    path("admin/v1/bypass_codes/<str:bypass_code_id>", views.bypass_code),
    path("auth/v2/ping", views.ping),
    path("auth/v2/check", views.check),
    path("auth/v2/auth", views.auth),
    path("devduo/control", views.control),
]
