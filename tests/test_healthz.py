"""GET /healthz, as a load balancer asks it."""

import pytest
from django.db import OperationalError, connection
from django.test import override_settings

from duoportal.models import AuditEvent
from tests.devsite import free_port

pytestmark = pytest.mark.django_db


def test_it_says_the_database_and_the_cache_answer(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}
    assert response["Cache-Control"] == "no-store"
    assert not AuditEvent.objects.exists()
    assert "sessionid" not in response.cookies


def test_it_answers_whatever_host_the_load_balancer_asks_by(client):
    # A load balancer asks by the server's address, which ALLOWED_HOSTS need not name.
    assert client.get("/healthz", HTTP_HOST="10.0.0.7:8000").status_code == 200


def test_a_cache_that_does_not_answer_is_reported_but_keeps_the_node_in(client):
    closed = f"redis://127.0.0.1:{free_port()}/0"
    redis = "django.core.cache.backends.redis.RedisCache"
    down = {"default": {"BACKEND": redis, "LOCATION": closed}}
    with override_settings(CACHES=down):
        response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "down"}


def test_a_database_that_does_not_answer_takes_the_node_out(client, monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("connection to server failed: Connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)
    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "down", "database": "down", "cache": "ok"}


def test_anything_else_is_not_it(client):
    assert client.get("/healthz/").status_code == 404
    assert client.get("/healthzx").status_code == 404
