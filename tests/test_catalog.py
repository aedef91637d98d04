"""The DCAT catalogue (/catalog.jsonld, /catalog.ttl): parsed as RDF with rdflib, it names every published
plan with its modified date, the collection's distributions, the API and the dumps, pages and filters by
`modified_since`, and refuses malformed parameters."""

import pytest
from django.urls import reverse
from django.utils import timezone
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, RDF

DCAT = Namespace("http://www.w3.org/ns/dcat#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
SITE = "http://127.0.0.1:8000"


def published(plan_factory, **kwargs):
    return plan_factory(status="published", published_at=timezone.now(), **kwargs)


def graph_of(client, name="catalog-jsonld", **params) -> Graph:
    response = client.get(reverse(name), params)
    assert response.status_code == 200, response.content
    fmt = "json-ld" if name == "catalog-jsonld" else "turtle"
    assert response["Content-Type"].startswith("application/ld+json" if fmt == "json-ld" else "text/turtle")
    return Graph().parse(data=response.content.decode(), format=fmt)


def plan_uri(plan) -> URIRef:
    return URIRef(SITE + plan.get_absolute_url())


def listed_plans(graph) -> set[URIRef]:
    return {record_topic for record in graph.subjects(RDF.type, DCAT.CatalogRecord)
            for record_topic in graph.objects(record, FOAF.primaryTopic)}  # fmt: skip


@pytest.fixture
def collection(plan_factory):
    plans = [published(plan_factory, title=f"Published {n}") for n in range(3)]
    plans[0].methods.add("Mapping")
    draft = plan_factory(title="Draft", status="draft")
    withdrawn = published(plan_factory, title="Withdrawn")
    withdrawn.status = "withdrawn"
    withdrawn.save()
    return plans, draft, withdrawn


@pytest.mark.parametrize("name", ["catalog-jsonld", "catalog-ttl"])
def test_it_names_every_published_plan_with_its_modified_date(client, collection, name):
    plans, draft, withdrawn = collection
    graph = graph_of(client, name)
    assert listed_plans(graph) == {plan_uri(p) for p in plans}
    catalog = next(graph.subjects(RDF.type, DCAT.Catalog))
    for plan in plans:
        record = URIRef(plan_uri(plan) + "#record")
        assert (catalog, DCAT.record, record) in graph
        assert (catalog, DCAT.dataset, plan_uri(plan)) in graph
        modified = graph.value(record, DCTERMS.modified).toPython()
        plan.refresh_from_db()
        assert modified == plan.modified_at
        assert str(graph.value(plan_uri(plan), DCTERMS.title)) == plan.title
    assert (plan_uri(plans[0]), DCAT.keyword, None) in graph
    assert plan_uri(draft) not in set(graph.all_nodes())
    assert plan_uri(withdrawn) not in set(graph.all_nodes())


def test_it_describes_the_collection_its_downloads_and_its_api(client, collection):
    graph = graph_of(client)
    collection_uri = URIRef(SITE + "/#collection")
    assert (collection_uri, RDF.type, DCAT.Dataset) in graph
    downloads = {str(d) for d in graph.objects(collection_uri, DCAT.distribution)}
    for name in ("csv", "xlsx", "json", "geojson", "zip", "datapackage"):
        assert SITE + reverse(f"downloads:{name}") in downloads
    for distribution in graph.objects(collection_uri, DCAT.distribution):
        assert graph.value(distribution, DCAT.mediaType) is not None
        assert graph.value(distribution, DCTERMS.format) is not None
        assert graph.value(distribution, DCAT.downloadURL) is not None
    api = next(graph.subjects(RDF.type, DCAT.DataService))
    assert (api, DCAT.servesDataset, collection_uri) in graph


def test_it_pages_the_plans_with_hydra_links(client, plan_factory, settings):
    settings.CATALOG_PAGE_SIZE = 2
    plans = [published(plan_factory) for _n in range(5)]
    seen, params, pages = set(), {}, 0
    while True:
        graph = graph_of(client, **params)
        pages += 1
        page_plans = listed_plans(graph)
        assert len(page_plans) <= 2 and not (seen & page_plans)
        seen |= page_plans
        view = next(graph.subjects(RDF.type, HYDRA.PartialCollectionView))
        assert graph.value(view, HYDRA.totalItems).toPython() == 5
        following = graph.value(view, HYDRA.next)
        if following is None:
            break
        params = {"page": str(following).rsplit("page=", 1)[1].split("&")[0]}
    assert pages == 3
    assert seen == {plan_uri(p) for p in plans}


def test_it_lists_only_what_changed_since_a_date(client, plan_factory):
    old, recent = published(plan_factory, title="Old"), published(plan_factory, title="Recent")
    type(old).objects.filter(pk=old.pk).update(modified_at=timezone.now() - timezone.timedelta(days=30))
    since = (timezone.now() - timezone.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert listed_plans(graph_of(client, modified_since=since)) == {plan_uri(recent)}
    assert listed_plans(graph_of(client, "catalog-ttl", modified_since="2000-01-01")) == {
        plan_uri(old),
        plan_uri(recent),
    }


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"modified_since": "yesterday"}, 400),
        ({"modified_since": "2026-13-45"}, 400),
        ({"page": "abc"}, 400),
        ({"page": "0"}, 400),
        ({"page": "99"}, 404),
    ],
)
def test_it_refuses_malformed_parameters(client, collection, params, status):
    for name in ("catalog-jsonld", "catalog-ttl"):
        response = client.get(reverse(name), params)
        assert response.status_code == status
        assert response["Content-Type"].startswith("text/plain")


def test_it_is_advertised_on_the_home_page(client, collection):
    html = client.get(reverse("plans:home")).content.decode()
    jsonld = reverse("catalog-jsonld")
    assert (
        f'<link rel="alternate" type="application/ld+json" title="DCAT catalogue (JSON-LD)" href="{jsonld}">'
        in html
    )
    assert f'type="text/turtle" title="DCAT catalogue (Turtle)" href="{reverse("catalog-ttl")}"' in html
