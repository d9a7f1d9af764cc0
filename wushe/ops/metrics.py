"""`/metrics` in the Prometheus text exposition format (version 0.0.4), written by hand: no
client library.

What it shows
- `wushe_http_requests_total{method, status}`: requests by method and status class (2xx …),
  counted by `MetricsMiddleware` (the scrape itself is not counted);
- `wushe_http_request_duration_seconds`: a latency histogram of the same requests (time until
  the view returned; a streamed download's body is not included);
- gauges read from the database at scrape time: requests past their deadline, the notification
  outbox (pending/sending deliveries and the age of the oldest pending one), the age of the
  last indicator computation and the counties waiting for one, and whether the database
  answers at all (`wushe_database_up`).

Several processes. gunicorn runs several workers, each with its own memory, and a scrape
reaches one of them: per-worker counters would show a random worker's share. So, when
REDIS_URL is set (production), every worker adds its counts into one Redis hash
(`wushe:metrics:http`) and a scrape reads the sums. A worker keeps its increments in memory and
pushes them at most once a second (one pipelined round trip, on the next request), so Redis
adds no latency to ordinary requests, and a Redis outage only delays the push (the increments
are kept and sent later); what a worker holds when it is killed (at most a second's worth) is
lost. The hash outlives restarts, so the counters only grow; if Redis loses it, Prometheus sees
an ordinary counter reset. Without REDIS_URL (the single-machine demo) counts stay per process
and `wushe_http_metrics_shared` is 0: with several workers, read them as a sample.

Access: only from the addresses in WUSHE_METRICS_ALLOWED_IPS (addresses or CIDR networks,
default loopback) or with `Authorization: Bearer <WUSHE_METRICS_TOKEN>`; anyone else gets the
ordinary 404 page, as if there were nothing here. The client address is the one
`wushe.core.middleware.client_ip` trusts (X-Forwarded-For only behind WUSHE_BEHIND_PROXY); a
request that carries X-Forwarded-For while WUSHE_BEHIND_PROXY is off came through an undeclared
proxy whose own address (often 127.0.0.1) says nothing about the client, so only the token
opens it."""

from __future__ import annotations

import bisect
import functools
import hmac
import ipaddress
import logging
import math
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.utils import timezone
from django.views.decorators.cache import never_cache

from wushe.core.middleware import client_ip

from . import conf

logger = logging.getLogger("wushe.metrics")

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
PATH = "/metrics"
REDIS_KEY = "wushe:metrics:http"
FLUSH_SECONDS = 1.0
# Upper bounds (seconds) of the latency buckets; +Inf is implied.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


# --- counters -----------------------------------------------------------------------------------


def _status_class(status: int) -> str:
    return f"{status // 100}xx" if 100 <= status <= 599 else "other"


class Store:
    """HTTP counters of this process; with a Redis client, pushed into the shared hash.

    Fields: `requests|<METHOD>|<class>`, `bucket|<i>` (observations in bucket i alone, i = len
    (BUCKETS) for +Inf; made cumulative when rendered), `count`, `duration_us` (integer
    microseconds, so HINCRBY suffices)."""

    def __init__(self, redis: Any = None, *, flush_seconds: float = FLUSH_SECONDS) -> None:
        self.redis = redis
        self.flush_seconds = flush_seconds
        self.pending: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.last_flush = time.monotonic()
        self.last_warning = 0.0

    @property
    def shared(self) -> bool:
        return self.redis is not None

    def observe(self, method: str, status: int, seconds: float) -> None:
        method = method.upper() if method.upper() in METHODS else "other"
        bucket = bisect.bisect_left(BUCKETS, seconds)
        with self.lock:
            self.pending[f"requests|{method}|{_status_class(status)}"] += 1
            self.pending[f"bucket|{bucket}"] += 1
            self.pending["count"] += 1
            self.pending["duration_us"] += max(0, round(seconds * 1_000_000))
        if self.redis is not None and time.monotonic() - self.last_flush >= self.flush_seconds:
            self.flush()

    def flush(self) -> bool:
        """Push this process's increments to Redis; on failure keep them for the next try."""
        if self.redis is None:
            return True
        with self.lock:
            pending, self.pending = self.pending, Counter()
            self.last_flush = time.monotonic()
        if not pending:
            return True
        try:
            pipe = self.redis.pipeline(transaction=False)
            for name, amount in pending.items():
                pipe.hincrby(REDIS_KEY, name, amount)
            pipe.execute()
        except Exception:
            with self.lock:
                self.pending.update(pending)
            self._warn("metrics: could not push the HTTP counters to Redis")
            return False
        return True

    def totals(self) -> dict[str, int] | None:
        """All counts: the shared sums (after pushing ours), or this process's own. None when
        the shared store cannot be read."""
        if self.redis is None:
            with self.lock:
                return dict(self.pending)
        self.flush()
        try:
            raw = self.redis.hgetall(REDIS_KEY)
        except Exception:
            self._warn("metrics: could not read the HTTP counters from Redis")
            return None
        return {_text(k): int(v) for k, v in raw.items()}

    def _warn(self, message: str) -> None:
        now = time.monotonic()
        if now - self.last_warning > 60:
            self.last_warning = now
            logger.warning(message, exc_info=True)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


_store: Store | None = None
_store_lock = threading.Lock()


def store() -> Store:
    """This process's store, made on first use: shared through Redis when REDIS_URL is set."""
    global _store
    if _store is None:
        with _store_lock:
            if _store is None:
                _store = Store(_redis_client())
    return _store


def set_store(new: Store | None) -> None:
    """Replace the process's store (tests); None makes the next call build one from settings."""
    global _store
    _store = new


def _redis_client() -> Any:
    url = getattr(settings, "REDIS_URL", "")
    if not url:
        return None
    import redis

    return redis.Redis.from_url(url, socket_timeout=0.25, socket_connect_timeout=0.25)


class MetricsMiddleware:
    """Counts every request but the scrape and times it. Put first in MIDDLEWARE so that the
    time includes the other middleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        if request.path != PATH:
            try:
                store().observe(
                    request.method or "", response.status_code, time.perf_counter() - started
                )
            except Exception:  # counting must never break a request
                logger.exception("metrics: could not count a request")
        return response


# --- exposition ---------------------------------------------------------------------------------


@dataclass
class Family:
    """One metric family: `# HELP`, `# TYPE` and its samples (suffix, labels, value)."""

    name: str
    kind: str  # counter, gauge, histogram
    help: str
    samples: list[tuple[str, dict[str, str], float]] = field(default_factory=list)

    def add(self, value: float, suffix: str = "", **labels: str) -> Family:
        self.samples.append((suffix, labels, value))
        return self


def _escape_label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _escape_help(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n")


def _number(value: float) -> str:
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return str(int(value))
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value))


def render(families: Iterable[Family]) -> str:
    lines: list[str] = []
    for family in families:
        lines.append(f"# HELP {family.name} {_escape_help(family.help)}")
        lines.append(f"# TYPE {family.name} {family.kind}")
        for suffix, labels, value in family.samples:
            label_text = ",".join(f'{k}="{_escape_label(v)}"' for k, v in labels.items())
            name = family.name + suffix
            lines.append(
                f"{name}{{{label_text}}} {_number(value)}"
                if label_text
                else f"{name} {_number(value)}"
            )
    return "\n".join(lines) + "\n"


def _bound(value: float) -> str:
    return _number(value) if not value.is_integer() else f"{value:.1f}"


def http_families(totals: dict[str, int]) -> list[Family]:
    requests = Family(
        "wushe_http_requests_total", "counter", "HTTP requests by method and status class."
    )
    for key in sorted(k for k in totals if k.startswith("requests|")):
        _kind, method, status = key.split("|", 2)
        requests.add(totals[key], method=method, status=status)
    latency = Family(
        "wushe_http_request_duration_seconds",
        "histogram",
        "Time from the request reaching the application until its response was ready.",
    )
    cumulative = 0
    for i, bound in enumerate(BUCKETS):
        cumulative += totals.get(f"bucket|{i}", 0)
        latency.add(cumulative, "_bucket", le=_bound(bound))
    cumulative += totals.get(f"bucket|{len(BUCKETS)}", 0)
    latency.add(cumulative, "_bucket", le="+Inf")
    latency.add(totals.get("duration_us", 0) / 1_000_000, "_sum")
    latency.add(totals.get("count", 0), "_count")
    return [requests, latency]


def _gauge(name: str, help_text: str, value: float | None, **labels: str) -> Family:
    family = Family(name, "gauge", help_text)
    if value is not None:
        family.add(value, **labels)
    return family


def database_families() -> list[Family]:
    """Gauges read from the database; only `wushe_database_up` when it does not answer."""
    try:
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        logger.warning("metrics: database unavailable", exc_info=True)
        return [_gauge("wushe_database_up", "1 when the database answers a query.", 0)]
    from wushe.indicators.models import DirtyMark, RefreshRun
    from wushe.notifications.models import Delivery
    from wushe.requests.models import Request, overdue_q

    now = timezone.now()
    families = [_gauge("wushe_database_up", "1 when the database answers a query.", 1)]
    families.append(
        _gauge(
            "wushe_requests_overdue",
            "Open requests past the deadline of their status (acceptance or resolution).",
            Request.objects.filter(overdue_q(now)).count(),
        )
    )
    outbox = Family(
        "wushe_notification_deliveries", "gauge", "Outbox deliveries not yet done, by status."
    )
    for status in (Delivery.Status.PENDING, Delivery.Status.SENDING):
        outbox.add(Delivery.objects.filter(status=status).count(), status=str(status))
    families.append(outbox)
    oldest = (
        Delivery.objects.filter(status=Delivery.Status.PENDING)
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    families.append(
        _gauge(
            "wushe_notification_oldest_pending_seconds",
            "Age of the oldest pending outbox delivery (0 when none is pending).",
            _age(now, oldest) if oldest else 0,
        )
    )
    last = (
        RefreshRun.objects.filter(finished_at__isnull=False)
        .order_by("-finished_at")
        .values_list("finished_at", flat=True)
        .first()
    )
    families.append(
        _gauge(
            "wushe_indicators_last_refresh_age_seconds",
            "Seconds since the last indicator computation finished (absent: never).",
            _age(now, last) if last else None,
        )
    )
    families.append(
        _gauge(
            "wushe_indicators_dirty_counties",
            "Counties whose records changed and wait for the indicators sweep.",
            DirtyMark.objects.count(),
        )
    )
    return families


def _age(now: Any, then: Any) -> float:
    return round(max(timedelta(0), now - then).total_seconds(), 3)


@functools.lru_cache(maxsize=1)
def _build() -> tuple[str, str]:
    from .backup import app_version, git_commit

    return app_version(), git_commit()


def collect() -> str:
    version, commit = _build()
    current = store()
    families = [
        _gauge("wushe_build_info", "The running code.", 1, version=version, commit=commit),
        _gauge(
            "wushe_http_metrics_shared",
            "1 when HTTP counters are summed over all processes (Redis), 0 when per process.",
            1 if current.shared else 0,
        ),
    ]
    totals = current.totals()
    if totals is not None:
        families.extend(http_families(totals))
    families.extend(database_families())
    return render(families)


# --- access and view ----------------------------------------------------------------------------


def _address_allowed(address: str | None) -> bool:
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for entry in conf.value_list("METRICS_ALLOWED_IPS"):
        try:
            network = ipaddress.ip_network(entry, strict=False)
        except ValueError:
            logger.warning("metrics: WUSHE_METRICS_ALLOWED_IPS entry %r is not an address", entry)
            continue
        if ip.version == network.version and ip in network:
            return True
    return False


def _token_allowed(request: HttpRequest) -> bool:
    token = conf.value("METRICS_TOKEN").strip()
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _sep, given = header.partition(" ")
    if not token or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), token.encode())


def may_scrape(request: HttpRequest) -> bool:
    if _token_allowed(request):
        return True
    if request.META.get("HTTP_X_FORWARDED_FOR") and not getattr(
        settings, "SECURE_PROXY_SSL_HEADER", None
    ):
        # Came through a proxy that is not declared (WUSHE_BEHIND_PROXY off): the socket peer
        # is the proxy, often 127.0.0.1, and would let every client in. Only the token opens.
        return False
    return _address_allowed(client_ip(request))


@never_cache
def metrics_view(request: HttpRequest) -> HttpResponse:
    # Access first: to anyone else, every method is "not found".
    if not may_scrape(request):
        raise Http404
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    return HttpResponse(collect(), content_type=CONTENT_TYPE)
