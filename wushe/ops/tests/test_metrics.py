"""/metrics: what Prometheus reads (the text format, counts that match the requests made, the
gauges), who may read it, and that counters of several processes add up through Redis."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from wushe.indicators.models import DirtyMark, RefreshRun
from wushe.ops import metrics
from wushe.ops.metrics import BUCKETS, Store
from wushe.requests.models import Request
from wushe.requests.tests.conftest import world  # noqa: F401 - the requests' small world

# The sample line of the text exposition format 0.0.4 (no timestamps).
SAMPLE = re.compile(
    r'^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?P<labels>[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"'
    r'(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")*)\})? '
    r"(?P<value>[-+]?(?:[0-9]+(?:\.[0-9]*)?(?:e[-+]?[0-9]+)?|Inf|NaN))$"
)
COMMENT = re.compile(r"^# (?P<what>HELP|TYPE) (?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*) (?P<rest>.+)$")


@pytest.fixture(autouse=True)
def fresh_store():
    """Each test counts from zero in a per-process store."""
    metrics.set_store(Store())
    yield
    metrics.set_store(None)


def parse(text: str) -> dict[str, float]:
    """Check every line against the format and return {'name{labels}': value}."""
    assert text.endswith("\n")
    types: dict[str, str] = {}
    samples: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("#"):
            match = COMMENT.match(line)
            assert match, f"bad comment line: {line!r}"
            if match["what"] == "TYPE":
                assert match["rest"] in {"counter", "gauge", "histogram"}, line
                assert match["name"] not in types, f"family typed twice: {line!r}"
                types[match["name"]] = match["rest"]
            continue
        match = SAMPLE.match(line)
        assert match, f"bad sample line: {line!r}"
        name = match["name"]
        family = re.sub(r"_(bucket|sum|count)$", "", name)
        if types.get(family) != "histogram":
            family = name
        assert family in types, f"sample before its # TYPE: {line!r}"
        if types[family] == "counter":
            assert name.endswith("_total")
        key = f"{name}{{{match['labels'] or ''}}}"
        assert key not in samples, f"duplicate sample: {line!r}"
        samples[key] = float(match["value"])
    return samples


def scrape(client: Client | None = None) -> dict[str, float]:
    response = (client or Client()).get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    return parse(response.content.decode())


@pytest.mark.django_db
def test_counts_and_histogram_match_the_requests_made():
    client = Client()
    assert client.get("/healthz").status_code == 200
    assert client.get("/healthz").status_code == 200
    assert client.get("/no-such-page/").status_code == 404
    assert client.post("/api/v1/auth/token", {}, content_type="application/json").status_code in {
        400,
        401,
        422,
    }

    first = scrape(client)
    assert first['wushe_http_requests_total{method="GET",status="2xx"}'] == 2
    assert first['wushe_http_requests_total{method="GET",status="4xx"}'] == 1
    assert first['wushe_http_requests_total{method="POST",status="4xx"}'] == 1
    buckets = [first[f'wushe_http_request_duration_seconds_bucket{{le="{b}"}}'] for b in BUCKETS]
    assert buckets == sorted(buckets), "buckets are cumulative"
    inf = first['wushe_http_request_duration_seconds_bucket{le="+Inf"}']
    assert inf == first["wushe_http_request_duration_seconds_count{}"] == 4
    assert first["wushe_http_request_duration_seconds_sum{}"] > 0
    assert first["wushe_http_metrics_shared{}"] == 0
    assert first["wushe_database_up{}"] == 1

    # The scrape itself is not counted.
    second = scrape(client)
    assert second["wushe_http_request_duration_seconds_count{}"] == 4


@pytest.mark.django_db
def test_gauges_follow_the_database(world):  # noqa: F811 - the imported fixture
    dirty = DirtyMark.objects.count()  # the world's records marked their county
    before = scrape()
    assert before["wushe_requests_overdue{}"] == 0
    assert before["wushe_indicators_dirty_counties{}"] == dirty
    assert not any(k.startswith("wushe_indicators_last_refresh_age_seconds") for k in before)

    late = world.submit()
    world.submit()  # within its deadline
    Request.objects.filter(pk=late.pk).update(accept_due_at=timezone.now() - timedelta(hours=1))
    RefreshRun.objects.create(
        kind=RefreshRun.Kind.REFRESH,
        years="2026",
        started_at=timezone.now() - timedelta(seconds=130),
        finished_at=timezone.now() - timedelta(seconds=120),
    )
    DirtyMark.objects.create(county="330402")

    after = scrape()
    assert after["wushe_requests_overdue{}"] == 1
    assert 120 <= after["wushe_indicators_last_refresh_age_seconds{}"] < 180
    assert after["wushe_indicators_dirty_counties{}"] == dirty + 1
    assert 'wushe_notification_deliveries{status="pending"}' in after


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("client_kwargs", "config", "status"),
    [
        ({}, {}, 200),  # loopback, the default
        ({"REMOTE_ADDR": "10.1.2.3"}, {}, 404),
        ({"REMOTE_ADDR": "10.1.2.3"}, {"METRICS_ALLOWED_IPS": "192.168.0.0/16,10.0.0.0/8"}, 200),
        ({"REMOTE_ADDR": "10.1.2.3"}, {"METRICS_ALLOWED_IPS": "10.1.2.4"}, 404),
        # Not behind a proxy: a forged X-Forwarded-For is ignored.
        ({"REMOTE_ADDR": "10.1.2.3", "HTTP_X_FORWARDED_FOR": "127.0.0.1"}, {}, 404),
        # Behind a proxy nobody declared (nginx on the same host, WUSHE_BEHIND_PROXY off):
        # the loopback peer is the proxy, not the client.
        ({"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.9"}, {}, 404),
        (
            {
                "REMOTE_ADDR": "127.0.0.1",
                "HTTP_X_FORWARDED_FOR": "203.0.113.9",
                "HTTP_AUTHORIZATION": "Bearer s3cret-token",
            },
            {"METRICS_TOKEN": "s3cret-token"},
            200,
        ),
        (
            {"REMOTE_ADDR": "10.1.2.3", "HTTP_AUTHORIZATION": "Bearer s3cret-token"},
            {"METRICS_TOKEN": "s3cret-token"},
            200,
        ),
        (
            {"REMOTE_ADDR": "10.1.2.3", "HTTP_AUTHORIZATION": "Bearer wrong"},
            {"METRICS_TOKEN": "s3cret-token"},
            404,
        ),
        # No token configured: an empty bearer opens nothing.
        ({"REMOTE_ADDR": "10.1.2.3", "HTTP_AUTHORIZATION": "Bearer "}, {}, 404),
    ],
)
def test_who_may_read_metrics(settings, client_kwargs, config, status):
    settings.WUSHE = {**settings.WUSHE, **config}
    response = Client(**client_kwargs).get("/metrics")
    assert response.status_code == status
    assert (b"wushe_http_requests_total" in response.content) is (status == 200)


@pytest.mark.django_db
def test_outsiders_see_not_found_for_every_method():
    outsider = Client(REMOTE_ADDR="10.1.2.3")
    assert outsider.post("/metrics").status_code == 404
    assert outsider.delete("/metrics").status_code == 404
    assert Client().delete("/metrics").status_code == 405


@pytest.mark.django_db
def test_behind_the_proxy_the_forwarded_address_counts(settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    via_proxy = {"REMOTE_ADDR": "127.0.0.1"}
    assert Client(**via_proxy, HTTP_X_FORWARDED_FOR="203.0.113.9").get("/metrics").status_code == (
        404
    )
    assert Client(**via_proxy, HTTP_X_FORWARDED_FOR="127.0.0.1").get("/metrics").status_code == 200


class FakeRedis:
    """The three calls the store makes, on one dict shared by every 'process'."""

    def __init__(self) -> None:
        self.hashes: dict[str, dict[bytes, int]] = {}
        self.down = False

    def pipeline(self, transaction: bool = True) -> Any:
        redis = self

        class Pipe:
            def __init__(self) -> None:
                self.ops: list[tuple[str, str, int]] = []

            def hincrby(self, key: str, name: str, amount: int) -> None:
                self.ops.append((key, name, amount))

            def execute(self) -> None:
                if redis.down:
                    raise ConnectionError("redis is down")
                for key, name, amount in self.ops:
                    row = redis.hashes.setdefault(key, {})
                    row[name.encode()] = row.get(name.encode(), 0) + amount

        return Pipe()

    def hgetall(self, key: str) -> dict[bytes, bytes]:
        if self.down:
            raise ConnectionError("redis is down")
        return {k: str(v).encode() for k, v in self.hashes.get(key, {}).items()}


def test_workers_add_up_through_redis():
    redis = FakeRedis()
    worker_a = Store(redis, flush_seconds=0)
    worker_b = Store(redis, flush_seconds=3600)  # pushes only when scraped or later
    for _ in range(3):
        worker_a.observe("GET", 200, 0.02)
    worker_b.observe("POST", 503, 12.0)
    worker_b.observe("BREW", 418, 0.001)

    # The scrape lands on worker A; B's increments have not been pushed yet.
    totals = worker_a.totals()
    assert totals is not None
    assert totals["requests|GET|2xx"] == 3
    assert "requests|POST|5xx" not in totals

    worker_b.flush()
    families = {f.name: f for f in metrics.http_families(worker_a.totals() or {})}
    samples = {
        (suffix, tuple(labels.items())): value
        for suffix, labels, value in families["wushe_http_request_duration_seconds"].samples
    }
    assert samples[("_count", ())] == 5
    assert samples[("_bucket", (("le", "0.025"),))] == 4  # three at 20 ms, one at 1 ms
    assert samples[("_bucket", (("le", "10.0"),))] == 4
    assert samples[("_bucket", (("le", "+Inf"),))] == 5  # the 12 s one
    requests = {
        tuple(labels.items()): value
        for _s, labels, value in families["wushe_http_requests_total"].samples
    }
    assert requests[(("method", "POST"), ("status", "5xx"))] == 1
    assert requests[(("method", "other"), ("status", "4xx"))] == 1


def test_a_redis_outage_delays_counts_without_losing_them():
    redis = FakeRedis()
    worker = Store(redis, flush_seconds=0)
    worker.observe("GET", 200, 0.01)
    redis.down = True
    worker.observe("GET", 200, 0.01)  # the push fails; the request itself is unaffected
    assert worker.totals() is None  # the scrape shows no counters rather than wrong ones
    redis.down = False
    worker.observe("GET", 200, 0.01)
    assert (worker.totals() or {})["requests|GET|2xx"] == 3


def test_label_values_are_escaped():
    family = metrics.Family("wushe_x", "gauge", "help with \\ and\nnewline").add(
        1.5, path='a"b\\c\nd'
    )
    text = metrics.render([family])
    assert text == (
        "# HELP wushe_x help with \\\\ and\\nnewline\n"
        "# TYPE wushe_x gauge\n"
        'wushe_x{path="a\\"b\\\\c\\nd"} 1.5\n'
    )
    assert parse(text) == {'wushe_x{path="a\\"b\\\\c\\nd"}': 1.5}
