"""Benchmark "replay": replaying the newest 100,000 orders under a draft rule in the rule editor.

The big account of the queue benchmark (1,000,000 orders over a year), with the decision record
of every order (see bench/dashboard.py). A draft that widens the authorize band from 0–5 % to
0–10 % is replayed on the newest 100,000 orders, which the account decided over about 37 days:
first the replay service alone, then the whole request an Owner's Replay button makes. Each is
set beside what it cannot be faster than: reading the 100,000 decision inputs, in the one query
the replay makes. Target: a few seconds — under 5 s — for the request.
"""

import html
from datetime import timedelta
from decimal import Decimal

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from authorization.decision import Band, BandAction
from authorization.selectors import rule_bands, rule_of
from insight.models import DecisionRecord
from insight.replay import MOST_SUBMISSIONS, replay_draft, replay_inputs

from .dashboard import with_decisions
from .harness import Context
from .harness_report import Check, Report, Row, ratio_at_most
from .harness_timing import side_by_side
from .seed import approver_email, seed_account

NAME = "replay"
BIG = (1_000_000, 100_000)
SMOKE_BIG = (240, 120)
LIMIT_SECONDS = 5.0
DAYS = 366  # the replay's longest reach: the newest MOST_SUBMISSIONS orders are then all within it


class BenchmarkError(Exception):
    """The replay did not answer as it should: the benchmark cannot measure it."""


def draft_of(account) -> list[Band]:
    """The saved rule with its authorize band widened to 10 %, the first manual band dropped."""
    bands = []
    for band in rule_bands(rule=rule_of(account=account)):
        if band.action is BandAction.AUTHORIZE:
            band = Band(band.lower_percent, Decimal(10), band.action)
        elif band.upper_percent <= 10:
            continue
        bands.append(band)
    return bands


def form_data(bands: list[Band]) -> dict:
    """The rule editor's formset, as the Replay button posts it."""
    data = {
        "bands-TOTAL_FORMS": str(len(bands)),
        "bands-INITIAL_FORMS": str(len(bands)),
        "bands-MIN_NUM_FORMS": "0",
        "bands-MAX_NUM_FORMS": "1000",
        "replay_days": str(DAYS),
    }
    for index, band in enumerate(bands):
        data.update(
            {
                f"bands-{index}-lower_percent": str(band.lower_percent),
                f"bands-{index}-upper_percent": str(band.upper_percent),
                f"bands-{index}-action": str(band.action),
                f"bands-{index}-approvers": "\n".join(band.approvers),
                f"bands-{index}-escalate_after_minutes": str(band.escalate_after_minutes),
            }
        )
    return data


def run(context: Context) -> Report:
    orders, waiting = SMOKE_BIG if context.smoke else (max(int(BIG[0] * context.scale), 1), BIG[1])
    seeded = seed_account(orders=orders, waiting=min(waiting, orders), progress=context.progress)
    with_decisions(seeded, context.progress)
    account = seeded.account
    bands = draft_of(account)
    owner = account.memberships.get(role=Role.OWNER, user__email=approver_email(account.name, "owner")).user
    client = Client()
    client.force_login(owner)
    url = reverse("admin:authorization_pricedivergencerule_replay", kwargs={"account_id": account.pk})
    data = form_data(bands)
    expected = min(DecisionRecord.objects.filter(account=account).count(), MOST_SUBMISSIONS)

    def read_inputs():
        since = timezone.now() - timedelta(days=DAYS)
        return list(replay_inputs(account=account, since=since, limit=MOST_SUBMISSIONS))

    def replay():
        return replay_draft(account=account, bands=bands, days=DAYS)

    def request():
        response = client.post(f"{url}?fragment=1", data)
        if response.status_code != 200:
            raise BenchmarkError(f"the replay answered {response.status_code}")
        return response

    answer = replay()
    if answer.replayed != expected:
        raise BenchmarkError(f"replayed {answer.replayed:,} orders, not {expected:,}")
    with CaptureQueriesContext(connection) as captured:
        shown = html.unescape(request().content.decode())
    queries = len(captured.captured_queries)
    if f"Replayed {expected:,} orders" not in shown:
        raise BenchmarkError("the replay page does not say how many orders it replayed")

    repetitions = context.repetitions if context.smoke else min(context.repetitions, 10)
    report = Report(
        name=NAME,
        title=f"replaying the newest {expected:,} orders under a draft",
        description=(
            f"The draft widens the authorize band of {account.name} ({seeded.orders:,} orders over a year) to "
            f"0–10 %; it is replayed on the newest {expected:,} orders. Baselines: reading those orders' decision "
            "inputs in the replay's one query (the connectors and the listed changes take two more), then the replay service without the request around it. "
            f"Target: the request under {LIMIT_SECONDS:g} s; the replay at most 3 times the reading, "
            "the request at most 1.5 times the service."
        ),
        baseline_label="baseline",
        measured_label="measured",
    )
    reading, replaying = side_by_side(read_inputs, replay, repetitions=repetitions, warmup=1)
    report.rows.append(
        Row(
            label=f"replay service ({expected:,} orders) vs reading its inputs",
            baseline=reading.median,
            measured=replaying.median,
            unit="s",
            target=ratio_at_most(3),
            checks=(Check(f"under {LIMIT_SECONDS:g} s", replaying.median < LIMIT_SECONDS),),
            detail=f"{answer.changed:,} change outcome",
        )
    )
    serving, requesting = side_by_side(replay, request, repetitions=repetitions, warmup=1)
    report.rows.append(
        Row(
            label="Replay button (POST as Owner) vs the service",
            baseline=serving.median,
            measured=requesting.median,
            unit="s",
            target=ratio_at_most(1.5),
            checks=(
                Check(f"under {LIMIT_SECONDS:g} s", requesting.median < LIMIT_SECONDS),
                Check(f"{queries} queries", queries <= 20),
            ),
            detail=f"p99 {requesting.p99:.2f} s",
        )
    )
    report.notes.append(f"{repetitions} measurements per case and side, after a warm-up round.")
    return report
