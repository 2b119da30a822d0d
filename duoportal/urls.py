from django.contrib import admin
from django.urls import include, path

from duoportal import views

portal_patterns = [
    path("", views.home, name="home"),
    path("verify/", views.verify, name="verify"),
    path("verify/passcode/", views.verify_passcode, name="verify_passcode"),
    path("my-account/", views.account, name="account"),
    path("my-account/authenticators/add/", views.authenticator_add, name="authenticator_add"),
    path(
        "my-account/authenticators/<int:pk>/confirm/",
        views.authenticator_confirm,
        name="authenticator_confirm",
    ),
    path(
        "my-account/authenticators/<int:pk>/remove/",
        views.authenticator_remove,
        name="authenticator_remove",
    ),
    path("my-account/bypass-code/revoke/", views.bypass_revoke, name="bypass_revoke"),
    path("sign-out/", views.sign_out, name="sign_out"),
]

urlpatterns = [
    path("", include((portal_patterns, "portal"))),
    path("bypass-code/", include("bypass.urls")),
    path("bypass-code/rescue/", include("rescue.urls")),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
