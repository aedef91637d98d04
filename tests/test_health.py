"""/healthz is a real check that stays cheap."""

from plans import health


def test_it_answers_ok_with_one_query(db, client, django_assert_num_queries):
    health.check_migrations()  # once per process, at start-up in production
    with django_assert_num_queries(1):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert "no-cache" in response["Cache-Control"]


def test_it_reports_unapplied_migrations(db, client, monkeypatch):
    monkeypatch.setattr(health, "_unapplied", 2)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert b"2 unapplied migrations" in response.content


def test_it_finds_no_unapplied_migrations_on_a_migrated_database(db, monkeypatch):
    monkeypatch.setattr(health, "_unapplied", None)
    assert health.check_migrations() == 0
