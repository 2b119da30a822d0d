from urllib.parse import urlsplit

from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from oauth2_provider.views.generic import ScopedProtectedResourceView

from duoportal.devidp.models import DemoPerson


def index(request):
    return render(request, "devidp/index.html", {"people": DemoPerson.objects.all()})


def sign_in(request):
    return auth_views.LoginView.as_view(
        template_name="devidp/login.html",
        extra_context={"people": DemoPerson.objects.select_related("user")},
    )(request)


def _is_loopback(url):
    parts = urlsplit(url)
    return parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1")


def sign_out(request, tenant):
    """Entra's end-session endpoint: forget the person, then go back to the portal."""
    logout(request)
    back = request.GET.get("post_logout_redirect_uri", "")
    # Only back to a portal on this machine: never an open redirect.
    if back and _is_loopback(back):
        return HttpResponseRedirect(back)
    return render(request, "devidp/signed_out.html")


class Me(ScopedProtectedResourceView):
    """Microsoft Graph's /v1.0/me for the person the access token belongs to."""

    required_scopes = ["User.Read"]

    def get(self, request):
        person = DemoPerson.objects.filter(user=request.resource_owner).first()
        if person is None:
            return JsonResponse(
                {"error": {"code": "Request_ResourceNotFound", "message": "No such person."}},
                status=404,
            )
        return JsonResponse(person.graph_profile())
