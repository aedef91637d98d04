"""The rows of bench/run.py marked uncached really compute their page: each request varies a parameter the
page reads (the page cache ignores any other), and what it varies leaves the page showing what the row is
about (the plans of the list, the figures of every plan)."""

import importlib.util
import re
import subprocess
from pathlib import Path

import pytest

from plans.models import Plan
from tests.conftest import REPO

pytestmark = pytest.mark.django_db

spec = importlib.util.spec_from_file_location("bench_run", REPO / "bench" / "run.py")
bench_run = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench_run)


def varied(kind: str) -> str:
    """The parameter a row's wrk script gives a random value."""
    return re.search(r'"(\w+)=" \.\. math\.random', bench_run.script(kind)).group(1)


@pytest.fixture
def published(plan_factory):
    return [plan_factory(status=Plan.Status.PUBLISHED, year=year) for year in (2021, 2021, 2022)]


@pytest.mark.parametrize("path", ["/plans/", "/plans/?q=plan"])
def test_it_misses_the_page_cache_on_every_request_of_a_list_row(client, published, path):
    name = varied("page")
    sep = "&" if "?" in path else "?"
    first = client.get(f"{path}{sep}{name}=734")
    assert client.get(f"{path}{sep}{name}=734")["X-Cache"] == "hit"  # the page cache is on
    other = client.get(f"{path}{sep}{name}=91234")
    assert (first.status_code, other.status_code) == (200, 200)
    assert (first["X-Cache"], other["X-Cache"]) == ("miss", "miss")
    assert {p.pk for p in other.context["page_obj"].object_list} == {p.pk for p in published}


def test_it_misses_the_page_cache_on_every_request_of_the_stats_row(client, published):
    name = varied("stale-language")
    every_language = "language=en&language=fr"
    Plan.objects.filter(pk=published[0].pk).update(language="fr")
    reference = client.get(f"/stats/?{every_language}")
    first = client.get(f"/stats/?{every_language}&{name}=123456")
    other = client.get(f"/stats/?{every_language}&{name}=654321")
    assert (first["X-Cache"], other["X-Cache"]) == ("miss", "miss")
    # A language no plan is in is ignored: the figures are those of every plan.
    assert other.context["filter"].qs.count() == reference.context["filter"].qs.count() == 3


def test_it_draws_detail_pages_and_searched_words_from_their_lists():
    bench_run.SLUGS[:] = ["one-plan", "another-plan"]
    bench_run.WORDS[:] = ["water", "farmers"]
    assert '{"one-plan", "another-plan"}' in bench_run.script("slugs")
    words = bench_run.script("new-words")
    assert '{"water", "farmers"}' in words
    assert '"/plans/?q=" .. item .. "&page=" .. math.random(1, 1000000000) .. ""' in words


def test_it_lifts_the_anonymous_api_limit_above_what_wrk_can_send(monkeypatch, tmp_path):
    # wrk sends every request from one address: at the published 60/minute the API rows measured 429s.
    from plans.api.fair_use import parse_rate

    monkeypatch.setattr(bench_run, "DATA", tmp_path)
    limit, seconds = parse_rate(bench_run.environment("sqlite", 10)["API_ANON_RATE"])
    assert limit / seconds >= 100_000  # requests a second: far above any floor measured here (~3,000)


def test_it_reads_the_p95_that_each_row_s_script_prints(monkeypatch, tmp_path):
    # wrk's --latency prints the 50th, 75th, 90th and 99th percentiles; the script's done() prints the 95th.
    monkeypatch.setattr(bench_run, "DATA", tmp_path)
    scripts = []
    output = (
        "  Latency Distribution\n     50%  512.00us\n     75%  600.00us\n"
        "     90%  700.00us\n     99%    1.20ms\n"
        "  30000 requests in 10.00s, 9.00MB read\nRequests/sec:   3000.50\nTransfer/sec:    0.90MB\np95 734\n"
    )

    def fake_wrk(args, **kwargs):
        scripts.append((tmp_path / Path(args[args.index("-s") + 1]).name).read_text())
        return subprocess.CompletedProcess(args, 0, stdout=output, stderr="")

    monkeypatch.setattr(bench_run.subprocess, "run", fake_wrk)

    cached = bench_run.wrk("http://127.0.0.1:1/healthz", 2, 3)
    page = bench_run.wrk("http://127.0.0.1:1/plans/", 2, 3, "page")

    assert cached == page == {"rps": 3000.5, "p50": 0.512, "p95": 0.734, "p99": 1.2, "errors": 0}
    assert all("latency:percentile(95)" in script for script in scripts)
    assert "math.random" in scripts[1] and "math.random" not in scripts[0]  # a cached row varies nothing
