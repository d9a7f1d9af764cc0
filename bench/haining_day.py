"""A busy day in Haining (issue 9): a mixed workload shaped like a city of 850,000 — residents
submitting and rating requests, community workers working their inbox, volunteers signing in
and out of activities, time-bank gifts and reads, dashboards, registry pages — against
gunicorn and PostgreSQL with production settings (DEBUG=0, REDIS_URL to a private Redis, a
Celery worker), with pgbench TPC-B in the same run as the anchor.

    .venv/bin/python bench/haining_day.py [--duration 60] [--clients 32] [--workers N]
        [--mix submit_request=2000,worker_inbox=15000,...] [--replay 0.05]
    .venv/bin/python bench/haining_day.py --fault [--fault-port 5433 --fault-cluster 15/tbbench]

One client thread per community (`--clients` communities of Haining, the ones with the most
demo volunteers): it holds the tokens of that community's resident, community worker and
volunteer (bench logins made by a `wushe shell` step) and keeps its own state: a request its
resident submitted is later accepted, dispatched and resolved by its worker and rated by the
same resident; a volunteer it signed in is later signed out, and the service record verified.
Each step draws an action by the weights of the mix (the daily counts of DAY below); an action
whose object does not exist yet does the step before it instead (no request to accept:
submit one), so the life cycles flow at the rates of the mix.

Every value-moving write carries an Idempotency-Key; a failed attempt (connection refused or
reset, timeout, 429, 5xx) is sent again with the same key and body until it is answered. At
the end every client finishes the action it is in, so the invariants are exact: the request
rows and the gift transfers made by this run equal the keys answered 2xx, no key made two
rows, and `wushe timebank verify` passes.

`--fault`: the same load against a PRIVATE PostgreSQL cluster (never the shared 5432) while
one gunicorn worker is SIGKILLed, Redis is stopped for a while and PostgreSQL is restarted
(`pg_ctlcluster … restart -m fast`); afterwards the same invariants, the 5xx answers are
sorted by fault window (a 5xx outside every window is a bug, a 500 inside one is a fault that
did not fail cleanly), and the background work must resume: a Celery task round trip through
the restarted Redis and the sweeps (`wushe notifications deliver`, `requests escalate`,
`indicators sweep`) all succeed and leave no delivery pending. See bench/README.md,
"A day in Haining (issue 9)".
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

import harness  # noqa: E402

# --------------------------------------------------------------------------------------------
# The mix: a busy day in a city of 850,000
#
# Daily counts on a busy weekday (the morning after a holiday, an activity day of the volunteer
# teams). Reasoning per line; the weights of the closed-loop mix are these counts.
#
# - Requests: 12345-style hotlines in Zhejiang take about 0.8 contacts per inhabitant a year
#   (Hangzhou: ~10 million for ~12 million people); with self-service and grid workers about
#   2,000 requests a day for 850,000 people on a busy day. Each is accepted once, ~80 % are
#   dispatched to a handler (the rest the community resolves itself), all are resolved, ~60 %
#   of residents confirm and rate.
# - Community workers: 236 communities × ~6 workers ≈ 1,500 people who refresh their request
#   inbox ~10 times a day, open each request ~3 times, check the visits due list twice and
#   browse the registers (residents, volunteers, organisations) ~5 times.
# - Volunteers: Zhejiang counts about one registered volunteer in five inhabitants (~170,000);
#   on an activity day ~5 % serve: 8,500 sign-ins and sign-outs, each record verified by the
#   organiser; ~10,000 balance/statement views of the time bank; gifts to relatives are rare
#   (~300).
# - Dashboards: ~3,000 indicator dashboard pages (communities, townships) and ~3,000 indicator
#   API reads (the county's drill-down charts).
DAY: dict[str, int] = {
    "submit_request": 2_000,
    "accept_request": 2_000,
    "dispatch_request": 1_600,
    "resolve_request": 2_000,
    "rate_request": 1_200,
    "worker_inbox": 15_000,
    "request_detail": 6_000,
    "visits_due": 3_000,
    "registry_page": 7_500,
    "volunteer_sign_in": 8_500,
    "volunteer_sign_out": 8_500,
    "verify_record": 8_500,
    "timebank_read": 10_000,
    "timebank_gift": 300,
    "dashboard_page": 3_000,
    "dashboard_api": 3_000,
}
# The busiest hour (9–10 in the morning) carries about 15 % of a day's traffic.
BUSY_HOUR_SHARE = 0.15
# What the step before an action is, when the action has nothing to work on yet.
PREREQUISITE = {
    "accept_request": "submit_request",
    "dispatch_request": "accept_request",
    "resolve_request": "dispatch_request",
    "rate_request": "resolve_request",
    "request_detail": "submit_request",
    "volunteer_sign_out": "volunteer_sign_in",
    "verify_record": "volunteer_sign_out",
}
CATEGORIES = ["daily_care", "health", "environment", "safety", "dispute", "legal_aid", "other"]
ACTIVITIES_PER_SLOT = 8  # half with every volunteer signed in two hours ago (sign-outs)
SIGN_OUT_AFTER = 65.0  # seconds: a sign-out needs one whole minute of service
HTTP_TIMEOUT = 30.0
GIVE_UP = 120.0  # seconds after the load stops that a client keeps retrying its last action
RETRY_PAUSE = 0.25
KEY_RE = re.compile(r"^[a-z0-9]+$")

# Run inside `wushe shell` with the run's environment: the cast of every slot (community):
# a resident, a community worker (API token and a page session) and a volunteer linked to
# the community's first demo volunteer, whose account in a bench time-bank scheme (gifts to
# anyone, no caps) is credited; ACTIVITIES_PER_SLOT activities from two hours ago to ten hours
# ahead, half of them with every volunteer of the community signed in two hours ago; and one
# county officer. Prints one line CAST=<json>.
SEED = r"""
import json
from datetime import date, timedelta
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db.models import Count
from django.utils import timezone
from wushe.accounts.roles import Role
from wushe.accounts.services import grant_create, token_issue, user_create
from wushe.activities import services as act
from wushe.activities.models import Activity, SignUp
from wushe.regions.models import Region
from wushe.timebank import services as tb
from wushe.timebank.models import Scheme
from wushe.volunteers.models import Volunteer

SLOTS = __SLOTS__
RUN = "__RUN__"
now = timezone.now()

def person(name, role, region):
    from wushe.accounts.models import User
    user = User.objects.filter(username=name).first() or user_create(
        username=name, password=None, display_name=name)
    grant_create(user=user, role=role, region_code=region)
    token, _row = token_issue(user=user, name="haining-day bench", ttl_hours=24)
    return user, token

def session_for(user):
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key

communities = list(
    Volunteer.objects.filter(county_code="330481", region__level=Region.Level.COMMUNITY)
    .values("region_id").annotate(n=Count("id")).order_by("-n", "region_id")
    .values_list("region_id", flat=True)[:SLOTS])
county, county_token = person(f"day_{RUN}_county", Role.CIVIL_AFFAIRS, "330481000000")
scheme = Scheme.objects.filter(code="day-coin").first() or tb.scheme_create(
    region_code="330481000000", code="day-coin", name="压测时间币（海宁一日）", kind="coin",
    actor=county, daily_earn_cap=None, storage_cap=None, gift_policy="anyone")
slots = []
for k, community in enumerate(communities):
    resident, resident_token = person(f"day_{RUN}_r{k}", Role.RESIDENT, community)
    worker, worker_token = person(f"day_{RUN}_w{k}", Role.COMMUNITY_WORKER, community)
    volunteers = list(Volunteer.objects.filter(region_id=community).order_by("pk"))
    mine = volunteers[0]
    vol_user, vol_token = person(f"day_{RUN}_v{k}", Role.VOLUNTEER, community)
    mine.user = vol_user
    mine.save(update_fields=["user"])
    own = tb.account_for_volunteer(scheme=scheme, volunteer=mine)
    tb.coins_earn(account=own, minutes=60000, value_date=date(2026, 1, 1), actor=county,
                  source_ref=f"day:{RUN}:{own.pk}")
    ring = [tb.account_for_volunteer(scheme=scheme, volunteer=v).pk for v in volunteers[1:9]]
    activities = []
    for a in range(__ACTIVITIES__):
        activities.append(act.activity_create(
            region_code=community, title=f"海宁一日压测活动 {k}-{a}",
            starts_at=now - timedelta(hours=2), ends_at=now + timedelta(hours=10),
            actor=worker).pk)
    half = len(activities) // 2
    for a in activities[:half]:
        activity = Activity.objects.get(pk=a)
        for v in volunteers:
            act.sign_in(activity=activity, volunteer=v, actor=worker)
    SignUp.objects.filter(activity_id__in=activities[:half]).update(
        signed_in_at=now - timedelta(hours=2))
    slots.append({
        "community": community,
        "resident": resident_token,
        "worker": worker_token,
        "worker_session": session_for(worker),
        "volunteer": vol_token,
        "volunteers": [v.pk for v in volunteers],
        "signed_in_activities": activities[:half],
        "open_activities": activities[half:],
        "own_account": own.pk,
        "ring": ring,
    })
township_codes = sorted({c[:9].ljust(12, "0") for c in communities})
print("CAST=" + json.dumps({"slots": slots, "county": county_token,
                            "townships": township_codes}))
"""


class BenchError(harness.BenchError):
    pass


# --------------------------------------------------------------------------------------------
# The client


@dataclass
class ActionStats:
    latencies: list[float] = field(default_factory=list)  # ms, final answer incl. retries
    statuses: Counter[str] = field(default_factory=Counter)  # every attempt's status
    retries: int = 0
    failed: int = 0  # gave up, or a 4xx that is not retried


@dataclass
class Answer:
    status: int  # 0: no HTTP answer (refused, reset, timeout)
    body: bytes
    reason: str


class Connection:
    """One keep-alive connection per client thread (gunicorn's sync workers close it after
    each response; http.client then opens a new one for the next request)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.conn = http.client.HTTPConnection(host, port, timeout=HTTP_TIMEOUT)

    def send(self, method: str, path: str, *, body: Any = None, headers: dict[str, str]) -> Answer:
        data = None if body is None else json.dumps(body).encode()
        all_headers = {"Accept": "application/json", **headers}
        if data is not None:
            all_headers["Content-Type"] = "application/json"
        try:
            self.conn.request(method, path, body=data, headers=all_headers)
            response = self.conn.getresponse()
            raw = response.read()
            if response.will_close:
                self.conn.close()
            return Answer(response.status, raw, "")
        except (OSError, http.client.HTTPException) as exc:
            self.conn.close()
            return Answer(0, b"", f"{type(exc).__name__}: {exc}")


@dataclass
class Slot:
    index: int
    community: str
    resident: str
    worker: str
    worker_session: str
    volunteer: str
    volunteers: list[int]
    signed_in_activities: list[int]
    open_activities: list[int]
    own_account: int
    ring: list[int]


class Recorder:
    """Everything the clients saw, under one lock."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.measuring = False
        self.stats: dict[str, ActionStats] = {}
        self.request_keys: dict[str, int] = {}  # key → first 2xx status
        self.gift_keys: dict[str, int] = {}
        self.unanswered_keys: dict[str, str] = {}
        self.server_errors: list[tuple[float, str, int]] = []  # (wall time, action, status)
        self.unexpected: Counter[str] = Counter()  # "action status code" of non-retried 4xx
        self.examples: dict[str, str] = {}

    def record(
        self, action: str, ms: float, statuses: list[int], ok: bool, *, retries: int
    ) -> None:
        with self.lock:
            if not self.measuring:
                return
            stats = self.stats.setdefault(action, ActionStats())
            if ok:
                stats.latencies.append(ms)
            else:
                stats.failed += 1
            stats.retries += retries
            for status in statuses:
                stats.statuses[str(status)] += 1


class Client:
    """One community: its resident, worker and volunteer, and what they have in hand."""

    def __init__(
        self,
        slot: Slot,
        county_token: str,
        townships: list[str],
        base_url: str,
        run: str,
        weights: dict[str, int],
        replay: float,
        recorder: Recorder,
        seed: int,
    ) -> None:
        host, port = base_url.removeprefix("http://").split(":")
        self.http = Connection(host, int(port))
        self.slot, self.county_token, self.townships = slot, county_token, townships
        self.run, self.replay, self.recorder = run, replay, recorder
        self.rng = random.Random(seed)  # load generation, not security
        self.actions = list(weights)
        self.weights = [weights[a] for a in self.actions]
        self.n = 0
        self.submitted: deque[int] = deque()
        self.accepted: deque[int] = deque()
        self.dispatched: deque[int] = deque()
        self.resolved: deque[int] = deque()
        self.known: deque[int] = deque(maxlen=50)
        self.to_sign_in = [
            (a, v) for a in slot.open_activities for v in slot.volunteers
        ]  # fmt: skip
        self.rng.shuffle(self.to_sign_in)
        # (ready at monotonic time, activity, volunteer)
        self.to_sign_out: deque[tuple[float, int, int]] = deque(
            (0.0, a, v) for a in slot.signed_in_activities for v in slot.volunteers
        )
        self.to_verify: deque[int] = deque()
        self.period = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m")
        self.stop_at = 0.0

    # --- plumbing

    def _auth(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    def _page(self) -> dict[str, str]:
        return {"Cookie": f"sessionid={self.slot.worker_session}", "Accept": "text/html"}

    def call(
        self,
        action: str,
        method: str,
        path: str,
        *,
        headers: dict[str, str],
        body: Any = None,
        key: str = "",
    ) -> Answer | None:
        """Send until answered: retry (same key, same body) on no answer, 429 and 5xx; give up
        GIVE_UP seconds after the load stops. Returns the 2xx answer, or None."""
        if key:
            headers = {**headers, "Idempotency-Key": key}
        started = time.monotonic()
        statuses: list[int] = []
        while True:
            answer = self.http.send(method, path, body=body, headers=headers)
            statuses.append(answer.status)
            if 200 <= answer.status < 300:
                self.recorder.record(
                    action, (time.monotonic() - started) * 1000, statuses, True,
                    retries=len(statuses) - 1,
                )  # fmt: skip
                return answer
            if answer.status >= 500:
                with self.recorder.lock:
                    self.recorder.server_errors.append((time.time(), action, answer.status))
            retry = answer.status in (0, 408, 429) or answer.status >= 500
            if not retry or time.monotonic() > self.stop_at + GIVE_UP:
                self.recorder.record(action, 0, statuses, False, retries=len(statuses) - 1)
                with self.recorder.lock:
                    label = f"{action} {answer.status}"
                    self.recorder.unexpected[label] += 1
                    self.recorder.examples.setdefault(
                        label, (answer.reason or answer.body.decode(errors="replace"))[:300]
                    )
                    if key:
                        self.recorder.unanswered_keys[key] = label
                return None
            time.sleep(RETRY_PAUSE)

    def _json(self, answer: Answer) -> Any:
        try:
            return json.loads(answer.body)
        except ValueError:
            return None

    def _key(self, kind: str) -> str:
        self.n += 1
        return f"{self.run}-{kind}{self.slot.index}-{self.n}"

    # --- the loop

    def pick(self) -> str:
        return self.rng.choices(self.actions, weights=self.weights)[0]

    def loop(self, stop_at: float) -> None:
        self.stop_at = stop_at
        while time.monotonic() < stop_at:
            action = self.pick()
            for _depth in range(5):
                done = getattr(self, action)()
                if done:
                    break
                action = PREREQUISITE.get(action, "worker_inbox")

    # --- residents

    def submit_request(self) -> bool:
        key = self._key("r")
        body = {
            "region": self.slot.community,
            "category": self.rng.choice(CATEGORIES),
            "description": f"海宁一日压测诉求 {key}：楼道灯坏了，老人夜里出门不方便。",
            "urgency": "urgent" if self.rng.random() < 0.1 else "normal",
        }
        answer = self.call(
            "submit_request", "POST", "/api/v1/requests",
            headers=self._auth(self.slot.resident), body=body, key=key,
        )  # fmt: skip
        if answer is None:
            return True
        with self.recorder.lock:
            self.recorder.request_keys.setdefault(key, answer.status)
        data = self._json(answer)
        if isinstance(data, dict) and "id" in data:
            self.submitted.append(int(data["id"]))
            self.known.append(int(data["id"]))
        if self.rng.random() < self.replay:
            # The phone lost the answer and sends the same request again: 200, nothing new.
            self.call(
                "submit_replay", "POST", "/api/v1/requests",
                headers=self._auth(self.slot.resident), body=body, key=key,
            )  # fmt: skip
        return True

    def rate_request(self) -> bool:
        if not self.resolved:
            return False
        request_id = self.resolved.popleft()
        body = {"rating": self.rng.choice([3, 4, 5, 5, 5]), "comment": "办得及时，谢谢。"}
        self.call(
            "rate_request", "POST", f"/api/v1/requests/{request_id}/confirm",
            headers=self._auth(self.slot.resident), body=body,
        )  # fmt: skip
        return True

    # --- community workers

    def _transition(self, action: str, source: deque[int], verb: str, body: Any) -> int | None:
        if not source:
            return None
        request_id = source.popleft()
        answer = self.call(
            action, "POST", f"/api/v1/requests/{request_id}/{verb}",
            headers=self._auth(self.slot.worker), body=body,
        )  # fmt: skip
        return request_id if answer is not None else -1

    def accept_request(self) -> bool:
        done = self._transition("accept_request", self.submitted, "accept", {"note": ""})
        if done is None:
            return False
        if done > 0:
            # ~80 % go to a handler, the rest the community resolves itself.
            (self.accepted if self.rng.random() < 0.8 else self.dispatched).append(done)
        return True

    def dispatch_request(self) -> bool:
        body = {"handlers": [{"type": "department", "name": "社区物业服务中心"}], "note": ""}
        done = self._transition("dispatch_request", self.accepted, "dispatch", body)
        if done is None:
            return False
        if done > 0:
            self.dispatched.append(done)
        return True

    def resolve_request(self) -> bool:
        body = {"result": "已上门处理，居民认可。"}
        done = self._transition("resolve_request", self.dispatched, "resolve", body)
        if done is None:
            return False
        if done > 0:
            self.resolved.append(done)
        return True

    def worker_inbox(self) -> bool:
        status = self.rng.choice(["", "submitted", "working"])
        self.call(
            "worker_inbox", "GET", f"/api/v1/requests?limit=20&status={status}",
            headers=self._auth(self.slot.worker),
        )  # fmt: skip
        return True

    def request_detail(self) -> bool:
        if not self.known:
            return False
        request_id = self.rng.choice(self.known)
        self.call(
            "request_detail", "GET", f"/api/v1/requests/{request_id}",
            headers=self._auth(self.slot.worker),
        )  # fmt: skip
        return True

    def visits_due(self) -> bool:
        self.call(
            "visits_due", "GET", "/api/v1/visits/due?limit=20",
            headers=self._auth(self.slot.worker),
        )  # fmt: skip
        return True

    def registry_page(self) -> bool:
        path = self.rng.choice(["/residents/", "/volunteers/", "/organizations/"])
        self.call("registry_page", "GET", path, headers=self._page())
        return True

    def dashboard_page(self) -> bool:
        self.call(
            "dashboard_page", "GET", f"/indicators/?region={self.slot.community}",
            headers=self._page(),
        )  # fmt: skip
        return True

    def dashboard_api(self) -> bool:
        region = self.rng.choice(["330481000000", *self.townships])
        self.call(
            "dashboard_api", "GET", f"/api/v1/indicators?region={region}&period={self.period}",
            headers=self._auth(self.county_token),
        )  # fmt: skip
        return True

    # --- volunteers (signed in and out on the organiser's sheet)

    def volunteer_sign_in(self) -> bool:
        if not self.to_sign_in:
            return self.timebank_read()
        activity, volunteer = self.to_sign_in.pop()
        answer = self.call(
            "volunteer_sign_in", "POST", f"/api/v1/activities/{activity}/sign-in",
            headers=self._auth(self.slot.worker), body={"volunteer": volunteer},
        )  # fmt: skip
        if answer is not None:
            self.to_sign_out.append((time.monotonic() + SIGN_OUT_AFTER, activity, volunteer))
        return True

    def volunteer_sign_out(self) -> bool:
        if not self.to_sign_out or self.to_sign_out[0][0] > time.monotonic():
            return False
        _ready, activity, volunteer = self.to_sign_out.popleft()
        answer = self.call(
            "volunteer_sign_out", "POST", f"/api/v1/activities/{activity}/sign-out",
            headers=self._auth(self.slot.worker),
            body={"volunteer": volunteer, "travel_minutes": 0},
        )  # fmt: skip
        data = self._json(answer) if answer is not None else None
        if isinstance(data, dict) and data.get("record"):
            self.to_verify.append(int(data["record"]))
        return True

    def verify_record(self) -> bool:
        if not self.to_verify:
            return False
        record = self.to_verify.popleft()
        self.call(
            "verify_record", "POST", f"/api/v1/activities/records/{record}/verify",
            headers=self._auth(self.slot.worker),
        )  # fmt: skip
        return True

    def timebank_read(self) -> bool:
        if self.rng.random() < 0.5:
            path = "/api/v1/timebank/accounts/mine"
        else:
            path = f"/api/v1/timebank/accounts/{self.slot.own_account}/statement?limit=20"
        self.call("timebank_read", "GET", path, headers=self._auth(self.slot.volunteer))
        return True

    def timebank_gift(self) -> bool:
        key = self._key("g")
        body = {
            "kind": "gift",
            "source": self.slot.own_account,
            "target": self.rng.choice(self.slot.ring),
            "amount": 1,
            "memo": f"海宁一日 {key}",
        }
        answer = self.call(
            "timebank_gift", "POST", "/api/v1/timebank/transfers",
            headers=self._auth(self.slot.volunteer), body=body, key=key,
        )  # fmt: skip
        if answer is not None:
            with self.recorder.lock:
                self.recorder.gift_keys.setdefault(key, answer.status)
        return True


def run_clients(clients: list[Client], seconds: float) -> float:
    """Run every client for `seconds`; returns the wall time until the last one stopped (each
    finishes the action it is in, retries included)."""
    stop_at = time.monotonic() + seconds
    threads = [threading.Thread(target=c.loop, args=(stop_at,), daemon=True) for c in clients]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.monotonic() - started


# --------------------------------------------------------------------------------------------
# Private Redis, Celery worker, gunicorn processes


def port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((harness.HOST, port)) == 0


class PrivateRedis:
    """A redis-server of this run only (no persistence), on a port nobody else listens on."""

    def __init__(self, port: int, work_dir: Path) -> None:
        if port == 6379:
            raise BenchError("the run stops its Redis: never the shared 6379")
        if shutil.which("redis-server") is None:
            raise BenchError("redis-server is missing: `apt-get install redis-server`.")
        self.port, self.work_dir = port, work_dir
        self.url = f"redis://{harness.HOST}:{port}/0"

    def start(self) -> None:
        if port_open(self.port):
            raise BenchError(f"port {self.port} is already in use: pick --redis-port")
        subprocess.run(
            ["redis-server", "--port", str(self.port), "--bind", harness.HOST, "--save", "",
             "--appendonly", "no", "--daemonize", "yes",
             "--pidfile", str(self.work_dir / "redis.pid"),
             "--logfile", str(self.work_dir / "redis.log")],
            check=True, timeout=30,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while not port_open(self.port):
            if time.monotonic() > deadline:
                raise BenchError(f"redis-server did not listen on {self.port}")
            time.sleep(0.1)

    def stop(self) -> None:
        pid_file = self.work_dir / "redis.pid"
        with contextlib.suppress(OSError, ValueError):
            os.kill(int(pid_file.read_text().strip()), signal.SIGTERM)
        deadline = time.monotonic() + 10
        while port_open(self.port) and time.monotonic() < deadline:
            time.sleep(0.1)


@contextlib.contextmanager
def celery_worker(env: dict[str, str], log_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    cmd = [
        str(harness.VENV_BIN / "celery"), "-A", "wushe", "worker", "--pool", "solo",
        "--loglevel", "WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat",
    ]  # fmt: skip
    with log_path.open("w") as log:
        process = subprocess.Popen(
            cmd, env=env, cwd=harness.PROJECT_DIR, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        yield process
    finally:
        harness.stop_process(process)


def gunicorn_workers(base_url: str) -> list[int]:
    """The worker processes of the gunicorn serving `base_url` (children of its master)."""
    bind = base_url.removeprefix("http://")
    procs: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            if "gunicorn" not in cmdline or bind not in cmdline:
                continue
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        procs[int(entry.name)] = ppid
    return sorted(pid for pid, ppid in procs.items() if ppid in procs)


# --------------------------------------------------------------------------------------------
# Checks after the load


def _query(database_url: str, sql: str, params: tuple[Any, ...] = ()) -> Any:
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        row = conn.execute(sql, params).fetchone()  # type: ignore[arg-type]
    return row[0] if row else None


def ledger_checks(database_url: str, run: str, recorder: Recorder) -> dict[str, Any]:
    """Rows made by this run against the keys answered 2xx: nothing lost, nothing doubled."""
    like = f"{run}-%"
    request_rows = _query(
        database_url, "SELECT count(*) FROM requests_request WHERE idempotency_key LIKE %s",
        (like,),
    )  # fmt: skip
    request_doubled = _query(
        database_url,
        "SELECT count(*) FROM (SELECT 1 FROM requests_request WHERE idempotency_key LIKE %s"
        " GROUP BY submitted_by_id, idempotency_key HAVING count(*) > 1) d",
        (like,),
    )
    gift_rows = _query(
        database_url,
        "SELECT count(*) FROM timebank_transfer WHERE kind = 'gift' AND idempotency_key LIKE %s",
        (like,),
    )
    gift_doubled = _query(
        database_url,
        "SELECT count(*) FROM (SELECT 1 FROM timebank_transfer WHERE idempotency_key LIKE %s"
        " GROUP BY created_by_id, idempotency_key HAVING count(*) > 1) d",
        (like,),
    )
    answered_requests = len(recorder.request_keys)
    answered_gifts = len(recorder.gift_keys)
    unanswered_r = sum(1 for k in recorder.unanswered_keys if "-r" in k)
    unanswered_g = sum(1 for k in recorder.unanswered_keys if "-g" in k)
    # A key that was never answered may or may not have made its row (the server may have
    # committed before the connection died): rows lie between the answered keys and the
    # answered plus the unanswered ones.
    return {
        "request_keys_answered_2xx": answered_requests,
        "request_rows": request_rows,
        "request_keys_unanswered": unanswered_r,
        "request_keys_doubled": request_doubled,
        "gift_keys_answered_2xx": answered_gifts,
        "gift_rows": gift_rows,
        "gift_keys_unanswered": unanswered_g,
        "gift_keys_doubled": gift_doubled,
        "consistent": (
            request_doubled == 0
            and gift_doubled == 0
            and answered_requests <= request_rows <= answered_requests + unanswered_r
            and answered_gifts <= gift_rows <= answered_gifts + unanswered_g
        ),
    }


def wushe_command(
    tools: dict[str, str], env: dict[str, str], *args: str, timeout: float = 600
) -> dict[str, Any]:
    done = subprocess.run(
        [tools["wushe"], *args], env=env, cwd=harness.PROJECT_DIR, capture_output=True,
        text=True, timeout=timeout, check=False,
    )  # fmt: skip
    return {
        "command": "wushe " + " ".join(args),
        "ok": done.returncode == 0,
        "output": (done.stdout + done.stderr).strip()[-1500:],
    }


CELERY_ROUND_TRIP = """
from wushe.notifications.tasks import sweep
print("SWEEP=" + repr(sweep.apply_async(ignore_result=False).get(timeout=60)))
"""


def background_checks(
    tools: dict[str, str], env: dict[str, str], database_url: str, *, celery: bool
) -> dict[str, Any]:
    """The background work resumes after the faults: a task through Redis and the Celery
    worker, then the sweeps the beat would run; afterwards no delivery is left pending."""
    checks: list[dict[str, Any]] = []
    if celery:
        checks.append(wushe_command(tools, env, "shell", "-c", CELERY_ROUND_TRIP, timeout=120))
    checks.append(wushe_command(tools, env, "notifications", "deliver", "--min-age", "0"))
    checks.append(wushe_command(tools, env, "requests", "escalate"))
    checks.append(wushe_command(tools, env, "indicators", "sweep"))
    pending = _query(
        database_url,
        "SELECT count(*) FROM notifications_delivery WHERE status IN ('pending', 'sending')"
        " AND next_attempt_at <= now()",
    )
    return {
        "commands": checks,
        "deliveries_pending_after": pending,
        "ok": all(c["ok"] for c in checks) and pending == 0,
    }


SERVER_TIME_ZONE = "Asia/Shanghai"  # wushe/settings.py TIME_ZONE
_LOG_TIME = re.compile(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)(?:,\d+| ([+-]\d{4}))?")


def _line_time(line: str) -> float | None:
    """Wall time of a gunicorn or Django log line ([2026-11-25 00:01:50 +0000] or
    2026-11-25 08:01:50,078 in the server's local zone), or None."""
    match = _LOG_TIME.search(line)
    if not match:
        return None
    if match.group(2):
        stamp = dt.datetime.strptime(f"{match.group(1)} {match.group(2)}", "%Y-%m-%d %H:%M:%S %z")
        return stamp.timestamp()
    # Django sets the process time zone to settings.TIME_ZONE, so its log lines are local time
    # there, not the bench's.
    local = dt.datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S")
    return local.replace(tzinfo=ZoneInfo(SERVER_TIME_ZONE)).timestamp()


# --------------------------------------------------------------------------------------------
# Report


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def summarise(recorder: Recorder, seconds: float) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    rows = []
    total = 0
    all_latencies: list[float] = []
    for action in [*DAY, "submit_replay"]:
        stats = recorder.stats.get(action)
        if stats is None:
            continue
        count = len(stats.latencies)
        total += count
        all_latencies += stats.latencies
        errors = {s: n for s, n in stats.statuses.items() if not s.startswith("2")}
        rows.append(
            {
                "action": action,
                "count": count,
                "per_s": round(count / seconds, 2),
                "p50_ms": round(percentile(stats.latencies, 0.50), 1),
                "p99_ms": round(percentile(stats.latencies, 0.99), 1),
                "errors": sum(errors.values()),
                "errors_by_status": errors,
                "retries": stats.retries,
                "failed": stats.failed,
            }
        )
    overall = {
        "count": total,
        "per_s": round(total / seconds, 2),
        "p50_ms": round(percentile(all_latencies, 0.50), 1),
        "p99_ms": round(percentile(all_latencies, 0.99), 1),
        "errors": sum(r["errors"] for r in rows),
        "failed": sum(r["failed"] for r in rows),
    }
    return rows, overall


def print_rows(rows: list[dict[str, Any]], overall: dict[str, Any]) -> None:
    print()
    print(f"{'action':20} {'count':>7} {'per s':>8} {'p50 ms':>8} {'p99 ms':>8}  errors")
    for r in rows:
        errors = f"{r['errors']} {r['errors_by_status']}" if r["errors"] else "0"
        print(
            f"{r['action']:20} {r['count']:7d} {r['per_s']:8.2f} {r['p50_ms']:8.1f} "
            f"{r['p99_ms']:8.1f}  {errors}"
        )
    print(
        f"{'all':20} {overall['count']:7d} {overall['per_s']:8.2f} {overall['p50_ms']:8.1f} "
        f"{overall['p99_ms']:8.1f}  {overall['errors']} (failed {overall['failed']})"
    )


def mix_description(weights: dict[str, int]) -> dict[str, Any]:
    per_day = sum(weights.values())
    busy_hour_per_s = per_day * BUSY_HOUR_SHARE / 3600
    return {
        "per_day": weights,
        "actions_per_day": per_day,
        "busy_hour_share": BUSY_HOUR_SHARE,
        "busy_hour_actions_per_s": round(busy_hour_per_s, 2),
    }


def parse_mix(text: str) -> dict[str, int]:
    weights = dict(DAY)
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _sep, value = part.partition("=")
        if name not in DAY or not value.isdigit():
            raise argparse.ArgumentTypeError(
                f"--mix: {part!r} is not ACTION=COUNT with ACTION one of {', '.join(DAY)}"
            )
        weights[name] = int(value)
    if not any(weights.values()):
        raise argparse.ArgumentTypeError("--mix: every weight is 0")
    return weights


# --------------------------------------------------------------------------------------------
# Main


def seed_cast(tools: dict[str, str], env: dict[str, str], slots: int, run: str) -> dict[str, Any]:
    code = (
        SEED.replace("__SLOTS__", str(slots))
        .replace("__RUN__", run)
        .replace("__ACTIVITIES__", str(ACTIVITIES_PER_SLOT))
    )
    output = harness.run([tools["wushe"], "shell", "-c", code], env=env, timeout=1200)
    line = next((x for x in output.splitlines() if x.startswith("CAST=")), None)
    if line is None:
        raise BenchError(f"the cast step printed no CAST line:\n{output[-2000:]}")
    cast: dict[str, Any] = json.loads(line.removeprefix("CAST="))
    if len(cast["slots"]) < slots:
        raise BenchError(f"only {len(cast['slots'])} communities with volunteers (asked {slots})")
    return cast


def make_clients(
    cast: dict[str, Any], base_url: str, args: argparse.Namespace, recorder: Recorder, run: str
) -> list[Client]:
    return [
        Client(
            Slot(index=k, **slot),
            cast["county"],
            cast["townships"],
            base_url,
            run,
            args.mix,
            args.replay,
            recorder,
            seed=args.seed * 1000 + k,
        )
        for k, slot in enumerate(cast["slots"])
    ]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    cores = os.cpu_count() or 1
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=60, help="measured seconds (60)")
    parser.add_argument("--warmup", type=int, default=10, help="unmeasured seconds first (10)")
    parser.add_argument("--clients", type=int, default=32, help="client threads = communities")
    parser.add_argument("--workers", type=int, default=2 * cores + 1, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=2, help="pgbench threads (-j)")
    parser.add_argument(
        "--mix", type=parse_mix, default=dict(DAY), help="override daily counts: a=N,b=M"
    )
    parser.add_argument(
        "--replay", type=float, default=0.05, help="share of submissions sent twice (0.05)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--redis-port", type=int, default=6380, help="private Redis (6380)")
    parser.add_argument("--no-celery", action="store_true", help="no Celery worker")
    parser.add_argument("--skip-pgbench", action="store_true")
    parser.add_argument("--fault", action="store_true", help="the fault run (see above)")
    parser.add_argument("--fault-port", type=int, default=5433)
    parser.add_argument("--fault-cluster", default="15/tbbench")
    parser.add_argument(
        "--redis-down", type=float, default=8.0, help="seconds Redis stays stopped (8)"
    )
    args = parser.parse_args(argv)
    if not 5 <= args.duration <= harness.MAX_DURATION:
        parser.error(f"--duration must be between 5 and {harness.MAX_DURATION}")
    if not 1 <= args.clients <= 200 or args.workers < 1 or args.warmup < 0:
        parser.error("--clients 1–200, --workers ≥ 1, --warmup ≥ 0")
    if not 0 <= args.replay <= 1:
        parser.error("--replay is a share between 0 and 1")
    if args.fault and args.fault_port == 5432:
        parser.error("the fault run restarts its PostgreSQL: never the shared 5432")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    tools = harness.check_tools()
    signal.signal(signal.SIGTERM, harness._raise_terminated)
    signal.signal(signal.SIGHUP, harness._raise_terminated)
    started = dt.datetime.now(dt.UTC).astimezone()
    run = f"day{os.getpid()}x{int(time.time()) % 100000}"
    work_dir = Path(tempfile.mkdtemp(prefix="wushe-bench-day-"))
    report: dict[str, Any] = {
        "started_at": started.isoformat(timespec="seconds"),
        "mode": "fault" if args.fault else "normal",
        "machine": harness.machine_info(tools),
        "parameters": {
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "clients": args.clients,
            "gunicorn_workers": args.workers,
            "gunicorn_worker_class": "sync",
            "replay": args.replay,
            "seed": args.seed,
            "redis": "private",
            "celery_worker": not args.no_celery,
        },
        "mix": mix_description(args.mix),
    }
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    kind = "haining-day-fault" if args.fault else "haining-day"
    harness.RESULTS_DIR.mkdir(exist_ok=True)
    try:
        code = day_run(args, tools, run, work_dir, report)
    except harness.BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        log = work_dir / "gunicorn.log"
        if log.exists() and log.stat().st_size:
            print(f"gunicorn log (tail):\n{harness.tail(log)}", file=sys.stderr)
        return 2
    except (KeyboardInterrupt, harness.Terminated):
        print("interrupted; cleaning up", file=sys.stderr)
        return 130
    finally:
        # The server and worker logs go next to the figures (the 5xx and tracebacks are
        # looked at afterwards); the rest of the run's directory goes.
        for name in ("gunicorn.log", "celery.log"):
            with contextlib.suppress(OSError):
                shutil.copy(work_dir / name, harness.RESULTS_DIR / f"{kind}-{stamp}.{name}")
        shutil.rmtree(work_dir, ignore_errors=True)
    out = harness.RESULTS_DIR / f"{kind}-{stamp}.json"
    out.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    print(f"written {out.relative_to(harness.PROJECT_DIR)}")
    return code


def day_run(
    args: argparse.Namespace,
    tools: dict[str, str],
    run: str,
    work_dir: Path,
    report: dict[str, Any],
) -> int:
    if args.fault:
        version, cluster = args.fault_cluster.split("/")
        harness.PG_SERVER_URL = f"postgres://postgres@127.0.0.1:{args.fault_port}"
        try:
            harness.pg_server_version()
        except Exception as exc:
            raise BenchError(
                f"no private PostgreSQL on port {args.fault_port} ({exc}); see bench/README.md"
            ) from exc
    db_name = f"wushe_bench_day_{os.getpid()}"
    redis = PrivateRedis(args.redis_port, work_dir)
    log_path = work_dir / "gunicorn.log"
    recorder = Recorder()
    events: list[dict[str, Any]] = []
    redis.start()
    try:
        with harness.scratch_database(db_name) as database_url:
            env = harness.app_environment(database_url, work_dir, redis.url)
            # Every notification also goes out on the "log" channel, so each one queues a
            # Celery task through Redis like SMS would in production.
            env["WUSHE_NOTIFY_CHANNELS"] = "log"
            print(f"database {db_name}: migrate, demo load, collectstatic ...", flush=True)
            harness.prepare_application(tools, env)
            print(f"  cast of {args.clients} communities ...", flush=True)
            cast = seed_cast(tools, env, args.clients, run)
            celery_ctx = (
                contextlib.nullcontext()
                if args.no_celery
                else celery_worker(env, work_dir / "celery.log")
            )
            with (
                celery_ctx,
                harness.gunicorn_server(tools, env, args.workers, log_path) as base_url,
            ):
                clients = make_clients(cast, base_url, args, recorder, run)
                if args.warmup:
                    print(f"  warm-up {args.warmup} s ...", flush=True)
                    run_clients(clients, args.warmup)
                recorder.measuring = True
                load_before = os.getloadavg()
                cpu_before = time.process_time()
                fault_thread = None
                if args.fault:
                    fault_thread = threading.Thread(
                        target=inject_faults,
                        args=(args, base_url, redis, version, cluster, events),
                        daemon=True,
                    )
                    fault_thread.start()
                print(
                    f"  load {args.duration} s, {args.clients} clients"
                    f"{' + faults' if args.fault else ''} ...",
                    flush=True,
                )
                elapsed = run_clients(clients, args.duration)
                recorder.measuring = False
                if fault_thread is not None:
                    fault_thread.join()
                report["client_cpu_s"] = round(time.process_time() - cpu_before, 1)
                report["load_average"] = {"before": load_before, "after": os.getloadavg()}
                report["elapsed_s"] = round(elapsed, 2)
                report["ledger"] = ledger_checks(database_url, run, recorder)
                report["timebank_verify"] = wushe_command(tools, env, "timebank", "verify")
                report["background"] = background_checks(
                    tools, env, database_url, celery=not args.no_celery
                )
            problems = harness.server_log_problems(log_path)
    finally:
        redis.stop()

    rows, overall = summarise(recorder, float(args.duration))
    report["actions"] = rows
    report["overall"] = overall
    report["client_failures"] = dict(recorder.unexpected)
    report["client_failure_examples"] = recorder.examples
    busy = report["mix"]["busy_hour_actions_per_s"]
    report["headroom_over_busy_hour"] = round(overall["per_s"] / busy, 1) if busy else None

    ok = report["ledger"]["consistent"] and report["timebank_verify"]["ok"]
    ok = ok and report["background"]["ok"]
    if args.fault:
        report["faults"] = classify_faults(events, recorder, problems)
        ok = ok and not report["faults"]["server_errors_outside_windows"]
        ok = ok and not report["faults"]["unclean_500s"]
        ok = ok and not report["faults"]["log_problems_outside_windows"]
    else:
        report["server_log_problems"] = problems[:200]
        ok = ok and overall["errors"] == 0 and overall["failed"] == 0 and not problems
        if not args.skip_pgbench:
            print(f"database {db_name}_pgbench (pgbench anchor) ...", flush=True)
            with harness.scratch_database(f"{db_name}_pgbench") as _url:
                pgbench = harness.run_pgbench(
                    tools, f"{db_name}_pgbench", duration=args.duration,
                    connections=args.clients, threads=args.threads,
                )  # fmt: skip
            pgbench.pop("raw_output", None)
            report["pgbench"] = pgbench
            report["ratio_to_pgbench"] = (
                round(overall["per_s"] / pgbench["tps"], 4) if pgbench["tps"] else None
            )
    report["ok"] = ok
    print_report(report)
    return 0 if ok else 1


def inject_faults(
    args: argparse.Namespace,
    base_url: str,
    redis: PrivateRedis,
    version: str,
    cluster: str,
    events: list[dict[str, Any]],
) -> None:
    """At 15 % of the run SIGKILL one gunicorn worker; at 30 % stop Redis for --redis-down
    seconds; at 70 % (and at least FAULT_GRACE + 2 s after Redis is back) restart PostgreSQL.
    Each event is a window (wall times) the 5xx answers and log lines are sorted into
    afterwards."""
    t0 = time.monotonic()

    def at(share: float) -> None:
        time.sleep(max(0.0, t0 + args.duration * share - time.monotonic()))

    at(0.15)
    workers = gunicorn_workers(base_url)
    if workers:
        victim = random.choice(workers)
        start = time.time()
        os.kill(victim, signal.SIGKILL)
        events.append({"fault": f"SIGKILL gunicorn worker {victim}", "start": start, "end": start})
    at(0.3)
    start = time.time()
    redis.stop()
    time.sleep(args.redis_down)
    redis.start()
    events.append({"fault": f"Redis stopped {args.redis_down:.0f} s", "start": start,
                   "end": time.time()})  # fmt: skip
    # PostgreSQL at 70 %, but never inside the Redis window and its grace: each 5xx belongs
    # to one fault.
    time.sleep(FAULT_GRACE + 2)
    at(0.7)
    start = time.time()
    subprocess.run(
        ["pg_ctlcluster", version, cluster, "restart", "-m", "fast"], check=True, timeout=120
    )
    events.append({"fault": f"PostgreSQL {version}/{cluster} restarted", "start": start,
                   "end": time.time()})  # fmt: skip


FAULT_GRACE = 5.0  # seconds after a fault ends that its effects may still show


def classify_faults(
    events: list[dict[str, Any]], recorder: Recorder, problems: list[str]
) -> dict[str, Any]:
    def window(at: float) -> str | None:
        for event in events:
            if event["start"] - 1 <= at <= event["end"] + FAULT_GRACE:
                return str(event["fault"])
        return None

    by_window: dict[str, Counter[str]] = {}
    outside: list[str] = []
    for at, action, status in recorder.server_errors:
        name = window(at)
        if name is None:
            outside.append(f"{time.strftime('%X', time.localtime(at))} {action} {status}")
        else:
            by_window.setdefault(name, Counter())[f"{action} {status}"] += 1
    log_outside = []
    log_inside = 0
    for line in problems:
        at = _line_time(line)
        if at is not None and window(at) is not None:
            log_inside += 1
        elif at is not None:
            log_outside.append(line[:300])
    return {
        "events": [
            {
                "fault": e["fault"],
                "at": time.strftime("%X", time.localtime(e["start"])),
                "seconds": round(e["end"] - e["start"], 1),
            }
            for e in events
        ],
        "server_errors_by_window": {k: dict(v) for k, v in by_window.items()},
        # A fault that fails cleanly answers 503 (retry later) or drops the connection; a 500
        # says the application did not expect it.
        "unclean_500s": sum(
            n for v in by_window.values() for k, n in v.items() if k.endswith(" 500")
        ),
        "server_errors_outside_windows": outside[:100],
        "log_problems_inside_windows": log_inside,
        "log_problems_outside_windows": log_outside[:100],
        "log_problem_examples": problems[:20],
    }


def print_report(report: dict[str, Any]) -> None:
    print_rows(report["actions"], report["overall"])
    mix = report["mix"]
    print(
        f"\nbusy hour of the mix  {mix['busy_hour_actions_per_s']} actions/s "
        f"({mix['actions_per_day']:,} a day × {mix['busy_hour_share']:.0%}); "
        f"measured {report['overall']['per_s']} → headroom ×{report['headroom_over_busy_hour']}"
    )
    if "pgbench" in report:
        print(
            f"pgbench TPS          {report['pgbench']['tps']:.1f}   ratio "
            f"{report['ratio_to_pgbench']}"
        )
    ledger = report["ledger"]
    print(
        f"requests             {ledger['request_keys_answered_2xx']} keys answered 2xx, "
        f"{ledger['request_rows']} rows, {ledger['request_keys_unanswered']} unanswered, "
        f"{ledger['request_keys_doubled']} doubled"
    )
    print(
        f"gifts                {ledger['gift_keys_answered_2xx']} keys answered 2xx, "
        f"{ledger['gift_rows']} transfers, {ledger['gift_keys_unanswered']} unanswered, "
        f"{ledger['gift_keys_doubled']} doubled   "
        f"{'consistent' if ledger['consistent'] else 'MISMATCH'}"
    )
    print(f"timebank verify      {'OK' if report['timebank_verify']['ok'] else 'FAILED'}")
    background = report["background"]
    for check in background["commands"]:
        print(f"{'OK ' if check['ok'] else 'FAILED'} {check['command'][:60]}")
    print(f"deliveries pending   {background['deliveries_pending_after']}")
    if report["client_failures"]:
        print(f"client failures      {report['client_failures']}")
    if "faults" in report:
        faults = report["faults"]
        for event in faults["events"]:
            print(f"fault                {event['at']} {event['fault']} ({event['seconds']} s)")
        print(f"5xx by fault window  {faults['server_errors_by_window']}")
        print(f"5xx outside windows  {faults['server_errors_outside_windows'][:10]}")
        print(f"500s (not clean)     {faults['unclean_500s']}")
        print(
            f"log problems         {faults['log_problems_inside_windows']} inside windows, "
            f"{len(faults['log_problems_outside_windows'])} outside"
        )
    elif report.get("server_log_problems"):
        print(f"gunicorn log         {len(report['server_log_problems'])} problem line(s)")
    print(f"client CPU           {report['client_cpu_s']} s   load {report['load_average']}")
    print("OK" if report["ok"] else "NOT OK")


if __name__ == "__main__":
    sys.exit(main())
