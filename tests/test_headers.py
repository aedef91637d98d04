"""Security headers: Content-Security-Policy with nonces, Permissions-Policy, CSP violation reports."""

import json
import logging
import re

import pytest

PAGES = ["/", "/plans/", "/admin/login/", "/api/docs/", "/api/redoc/", "/api/plans/"]


def policy(response) -> dict[str, list[str]]:
    directives = (d.strip().split() for d in response["Content-Security-Policy"].split(";"))
    return {d[0]: d[1:] for d in directives if d}


@pytest.mark.django_db
@pytest.mark.parametrize("url", PAGES)
def test_it_sends_a_content_security_policy(client, url):
    response = client.get(url)
    assert response.status_code == 200
    csp = policy(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["report-uri"] == ["/csp-report/"]
    assert "'unsafe-inline'" not in csp["script-src"]
    assert "'unsafe-eval'" not in csp["script-src"]


@pytest.mark.django_db
@pytest.mark.parametrize("url", PAGES)
def test_it_sends_a_permissions_policy(client, url):
    features = client.get(url)["Permissions-Policy"]
    assert "camera=()" in features
    assert "geolocation=()" in features


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/admin/login/", "/api/docs/", "/api/redoc/", "/admin/password_reset/"])
def test_it_serves_no_inline_script_without_the_nonce(client, url):
    response = client.get(url)
    nonces = {n.strip("'").removeprefix("nonce-") for n in policy(response)["script-src"] if "nonce-" in n}
    for tag in re.findall(r"<script\b[^>]*>", response.content.decode()):
        # A JSON-LD block is data that browsers never run (no CSP applies); other inline scripts need a nonce
        if "src=" not in tag and tag != '<script type="application/ld+json">':
            assert re.search(r'nonce="([^"]+)"', tag)[1] in nonces, tag


@pytest.mark.django_db
def test_it_serves_the_swagger_start_up_script_as_a_file(client):
    page = client.get("/api/docs/").content.decode()
    src = re.search(r'<script src="(/api/docs/\?[^"]+)"', page)[1]
    script = client.get(src.replace("&amp;", "&"))
    assert script["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle(" in script.content


@pytest.mark.django_db
def test_it_loads_nothing_from_a_third_party_on_the_api_docs(client):
    for url in ["/api/docs/", "/api/redoc/"]:
        assert not re.search(r'(src|href)="(https?:)?//', client.get(url).content.decode()), url


def test_it_logs_a_violation_report(client, caplog):
    report = {
        "csp-report": {
            "document-uri": "https://plans.example.org/plans/",
            "violated-directive": "script-src-elem",
            "blocked-uri": "inline",
        }
    }
    with caplog.at_level(logging.WARNING, logger="acclab.csp"):
        response = client.post("/csp-report/", json.dumps(report), content_type="application/csp-report")
    assert response.status_code == 204
    assert "script-src-elem blocked inline on https://plans.example.org/plans/" in caplog.text


def test_it_logs_a_reporting_api_report(client, caplog):
    reports = [
        {
            "type": "csp-violation",
            "body": {"documentURL": "https://x.example/", "effectiveDirective": "img-src", "blockedURL": "b"},
        }
    ]
    with caplog.at_level(logging.WARNING, logger="acclab.csp"):
        response = client.post("/csp-report/", json.dumps(reports), content_type="application/reports+json")
    assert response.status_code == 204
    assert "img-src blocked b on https://x.example/" in caplog.text


def test_it_accepts_reports_without_a_csrf_token(client):
    strict = type(client)(enforce_csrf_checks=True)
    response = strict.post("/csp-report/", "{}", content_type="application/csp-report")
    assert response.status_code == 204


def test_it_refuses_an_oversized_report(client, caplog):
    body = json.dumps({"csp-report": {"blocked-uri": "x" * 20_000}})
    with caplog.at_level(logging.WARNING, logger="acclab.csp"):
        response = client.post("/csp-report/", body, content_type="application/csp-report")
    assert response.status_code == 413
    assert "CSP violation" not in caplog.text


def test_it_refuses_a_report_that_is_not_json(client):
    assert client.post("/csp-report/", "<x>", content_type="application/csp-report").status_code == 400


def test_it_takes_reports_by_post_only(client):
    assert client.get("/csp-report/").status_code == 405


# ---------------------------------------------------------------- in a real browser


@pytest.mark.browser
@pytest.mark.parametrize(
    ("url", "rendered"),
    [
        ("/api/docs/", ".swagger-ui .info .title"),
        ("/api/redoc/", "redoc h1"),
        ("/admin/login/", "#id_username"),
        ("/admin/password_reset/", "#id_email"),
    ],
)
def test_it_renders_under_the_policy_without_a_violation(page, url, rendered):
    page.goto(url)
    page.wait_for_selector(rendered)
    page.wait_for_load_state("networkidle")
    # Redoc shows its maker's logo from a CDN: our policy blocks that third party on purpose.
    errors = [e for e in page.console_errors if "https://cdn.redoc.ly/redoc/logo-mini.svg" not in e]
    assert errors == [], "\n".join(errors)
