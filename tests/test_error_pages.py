import pytest

pytestmark = pytest.mark.django_db


def test_a_missing_page_is_explained_in_the_persons_language(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "There is no page at this address." in response.text
    client.post("/i18n/setlang/", {"language": "zh-hant", "next": "/"})
    assert "此網址沒有頁面。" in client.get("/no-such-page/").text


def test_a_server_error_page_stands_alone(client, settings):
    from django.template.loader import render_to_string

    page = render_to_string("500.html")
    assert "Something went wrong" in page and "Nothing was changed" in page


def test_a_request_not_understood_is_explained(helpdesk):
    response = helpdesk.get("/admin/rescue/rescuecode/?selector=%00")
    assert response.status_code == 400
    assert "Request not understood" in response.text
    assert "Nothing was changed." in response.text


def test_every_error_page_names_the_request_for_the_helpdesk(client):
    response = client.get("/no-such-page/")

    assert f"Reference for the helpdesk: {response['X-Request-ID']}" in response.text


@pytest.fixture
def database_down(monkeypatch):
    """The portal's home and the Duo API's check as they meet a database that does not answer."""
    from django.db import OperationalError

    def refuse(*args, **kwargs):
        raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")

    monkeypatch.setattr("duoportal.views.render", refuse)
    monkeypatch.setattr("duoapi.views.authenticate", refuse)


def test_a_database_that_does_not_answer_is_a_503_page_not_a_traceback(database_down):
    from django.test import Client

    response = Client(raise_request_exception=False).get("/")

    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert "Its database did not answer" in response.text
    assert f"Reference for the helpdesk: {response['X-Request-ID']}" in response.text
    assert "Traceback" not in response.text and "OperationalError" not in response.text


def test_the_duo_api_gets_a_503_in_duos_envelope(database_down):
    from django.test import Client

    response = Client(raise_request_exception=False).get("/auth/v2/check")

    assert response.status_code == 503
    body = response.json()
    assert (body["stat"], body["code"], body["message"]) == ("FAIL", 50301, "Service Unavailable")
    assert response["X-Request-ID"] in body["message_detail"]
