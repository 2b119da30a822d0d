import pytest

pytestmark = pytest.mark.django_db


def test_it_shows_the_development_banner(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"Development mode" in response.content


def test_it_hides_the_banner_in_production(client, settings):
    settings.DEVELOPMENT_MODE = False
    assert b"Development mode" not in client.get("/").content


def test_it_loads_no_file_from_another_host(client):
    content = client.get("/").content.decode()
    assert (
        "http://" not in content
        and "https://" not in content
        and "//" not in content.replace("<!doctype", "")
    )
