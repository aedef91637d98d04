"""schema.org JSON-LD in the pages: a `Dataset` on the home and open-data pages, an `Article` on each plan's
page, every type and property checked against the schema.org vocabulary.

The vocabulary is `tests/fixtures/schemaorg-subset.jsonld`: the classes, data types and properties these
pages may use, copied in schema.org's own format (rdfs:Class with rdfs:subClassOf, rdf:Property with
schema:domainIncludes and schema:rangeIncludes) from schemaorg-current-https.jsonld (schema.org release
29). No network: a term not in the subset fails the test until someone checks it against schema.org and adds
it there.
"""

import json
import re
from functools import cache

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from tests.conftest import FIXTURES

SCRIPT = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)
DATATYPE_OF = {bool: {"Boolean"}, int: {"Number"}, float: {"Number"}}


@cache
def vocabulary() -> tuple[dict, dict, set]:
    """({class: parent}, {property: (domains, ranges)}, data types) of the subset."""
    graph = json.loads((FIXTURES / "schemaorg-subset.jsonld").read_text())["@graph"]
    name = lambda ref: ref["@id"].removeprefix("schema:")  # noqa: E731
    classes, properties, datatypes = {}, {}, set()
    for node in graph:
        types = node["@type"] if isinstance(node["@type"], list) else [node["@type"]]
        if "schema:DataType" in types:
            datatypes.add(name(node))
        elif "rdfs:Class" in types:
            classes[name(node)] = name(node["rdfs:subClassOf"]) if "rdfs:subClassOf" in node else None
        elif "rdf:Property" in types:
            properties[name(node)] = (
                {name(d) for d in node["schema:domainIncludes"]},
                {name(r) for r in node["schema:rangeIncludes"]},
            )
    return classes, properties, datatypes


def ancestors(cls: str) -> set[str]:
    classes, _properties, _datatypes = vocabulary()
    found = set()
    while cls is not None:
        found.add(cls)
        cls = classes[cls]
    return found


def literal_types(value) -> set[str]:
    if type(value) in DATATYPE_OF:
        return DATATYPE_OF[type(value)]
    assert isinstance(value, str), value
    kinds = {"Text"}
    if re.match(r"https?://", value):
        kinds.add("URL")
    if re.match(r"\d{4}-\d{2}-\d{2}T", value):
        kinds.add("DateTime")
    return kinds


def check(node: dict, path: str = "") -> list[str]:
    """What in `node` (and the nodes within) the vocabulary does not allow."""
    classes, properties, _datatypes = vocabulary()
    problems = []
    cls = node.get("@type")
    if cls not in classes:
        return [f"{path}: unknown type {cls!r}"]
    lineage = ancestors(cls)
    for key, value in node.items():
        if key in {"@context", "@type", "@id"}:
            continue
        if key not in properties:
            problems.append(f"{path}.{key}: not a schema.org property")
            continue
        domains, ranges = properties[key]
        if not domains & lineage:
            problems.append(f"{path}.{key}: not a property of {cls}")
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict):
                if not ancestors(item.get("@type")) & ranges if item.get("@type") in classes else True:
                    problems.append(f"{path}.{key}: {item.get('@type')} is not in its range {ranges}")
                problems += check(item, f"{path}.{key}")
            elif not literal_types(item) & ranges:
                problems.append(f"{path}.{key}: {item!r} is not in its range {ranges}")
    return problems


def descriptions(html: str) -> list[dict]:
    return [json.loads(text) for text in SCRIPT.findall(html)]


@pytest.fixture
def plan(plan_factory):
    plan = plan_factory(
        title="Waste pickers <script>alert(1)</script> & cooperatives",
        status="published",
        published_at=timezone.now(),
        tweet_summary="What </script> we learned",
        latitude=21.0,
        longitude=105.8,
    )
    plan.methods.add("Mapping")
    return plan


def test_the_vocabulary_check_refuses_what_schema_org_does_not_define():
    assert check({"@type": "Dataset", "name": "x"}) == []
    assert check({"@type": "Datasett"}) == [": unknown type 'Datasett'"]
    assert check({"@type": "Dataset", "headlinez": "x"}) == [".headlinez: not a schema.org property"]
    assert check({"@type": "Organization", "distribution": []}) == [
        ".distribution: not a property of Organization"
    ]
    assert check({"@type": "Dataset", "isAccessibleForFree": "yes"})[0].startswith(
        ".isAccessibleForFree: 'yes'"
    )
    assert check({"@type": "Dataset", "distribution": {"@type": "Place"}})[0].startswith(
        ".distribution: Place"
    )


@pytest.mark.parametrize("page", ["plans:home", "plans:data"])
def test_the_home_and_open_data_pages_describe_the_collection_as_a_dataset(client, plan, page):
    with translation.override("en"):  # the unprefixed address, whatever an earlier test left active
        path = reverse(page)
    for prefix in ("", "/fr", "/es"):
        html = client.get(prefix + path).content.decode()
        [dataset] = descriptions(html)
        assert dataset["@context"] == "https://schema.org" and dataset["@type"] == "Dataset"
        assert check(dataset) == []
        assert dataset["license"] == "https://spdx.org/licenses/MIT.html"
        assert [d["encodingFormat"] for d in dataset["distribution"]] == [
            "text/csv",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "application/json",
            "application/geo+json",
            "application/zip",
        ]
        assert dataset["inLanguage"] == (prefix.strip("/") or "en")
    english = descriptions(client.get(path).content.decode())[0]
    assert english["name"] != dataset["name"]  # in the reader's language


def test_a_plan_page_describes_the_plan_as_an_article(client, plan):
    html = client.get(plan.get_absolute_url()).content.decode()
    assert "<script>alert(1)" not in html and "What </script>" not in html
    [article] = descriptions(html)
    assert check(article) == []
    assert article["@type"] == "Article"
    assert article["name"] == plan.title and article["description"] == "What </script> we learned"
    assert article["license"] == "https://spdx.org/licenses/MIT.html"
    assert article["author"] == {"@type": "Organization", "name": "Accelerator Lab Viet Nam"}
    assert article["keywords"] == ["Mapping"]
    assert article["contentLocation"]["geo"] == {
        "@type": "GeoCoordinates",
        "latitude": 21.0,
        "longitude": 105.8,
    }
    assert article["isPartOf"]["@type"] == "Dataset"


def test_a_preview_is_no_article(client, plan_factory, focal_point):
    draft = plan_factory(title="Draft", status="draft")
    client.force_login(focal_point)
    assert descriptions(client.get(draft.get_absolute_url()).content.decode()) == []
