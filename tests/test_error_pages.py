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
