from allauth.account import views as account_views
from allauth.socialaccount import views as socialaccount_views
from allauth.socialaccount.providers.microsoft.urls import urlpatterns as microsoft_patterns
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

# Only the parts of allauth that sign a person in with Microsoft 365. Its
# connect and disconnect pages (3rdparty/) and its logout are not routed: a
# person has exactly one Microsoft identity, fixed at their first sign-in, and
# the portal's one sign-out also ends the Microsoft session.
account_patterns = [
    path("login/", account_views.login, name="account_login"),
    path("inactive/", account_views.account_inactive, name="account_inactive"),
    path(
        "3rdparty/login/cancelled/",
        socialaccount_views.login_cancelled,
        name="socialaccount_login_cancelled",
    ),
    path(
        "3rdparty/login/error/", socialaccount_views.login_error, name="socialaccount_login_error"
    ),
    # allauth sends a sign-in that cannot be completed automatically here;
    # the portal has no sign-up form, so it is refused.
    path("3rdparty/signup/", views.sign_up_closed, name="socialaccount_signup"),
    *microsoft_patterns,
]

urlpatterns = [
    path("", include((portal_patterns, "portal"))),
    path("bypass-code/", include("bypass.urls")),
    path("bypass-code/rescue/", include("rescue.urls")),
    path("accounts/", include(account_patterns)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    # Duo's Auth API v2 at Duo's own paths, for applications that speak Duo.
    path("", include("duoapi.urls")),
]

# A page, or Duo's envelope on the API, naming the request; 503 when the database does not answer.
handler500 = "duoportal.errors.server_error"
