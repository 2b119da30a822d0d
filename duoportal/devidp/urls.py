"""Entra-shaped URLs: /<tenant>/oauth2/v2.0/... and Graph's /v1.0/me."""

from django.urls import path
from oauth2_provider.views import AuthorizationView, TokenView

from duoportal.devidp import views

app_name = "devidp"
urlpatterns = [
    path("", views.index, name="index"),
    path("login/", views.sign_in, name="login"),
    path("<str:tenant>/oauth2/v2.0/authorize", AuthorizationView.as_view(), name="authorize"),
    path("<str:tenant>/oauth2/v2.0/token", TokenView.as_view(), name="token"),
    path("<str:tenant>/oauth2/v2.0/logout", views.sign_out, name="logout"),
    path("v1.0/me", views.Me.as_view(), name="me"),
]
