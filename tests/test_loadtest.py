"""The load test, small (4 visitors × 3 questions, as CI can afford): it starts its own server, every
call is answered or refused with a clear message, the limits show up as refusals of their own kind,
and the server is gone afterwards. Its timings are reported, not asserted (see bench/README.md)."""
from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from bench.loadtest import errors, load_test, report

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def result() -> dict:
    return load_test(clients=4, per_client=3, timeout=180,
                     server_env={"PLANQA_RATE_LIMIT": "3", "PLANQA_QUEUE_SIZE": "4"})


def test_every_visitor_of_the_crowd_gets_every_answer(result):
    crowd = result["crowd"]
    assert crowd["counts"] == {"ok": 12, "rate_limit": 0, "queue_full": 0, "error": 0}, crowd["first_message"]
    assert crowd["latency_ms"]["n"] == 12 and crowd["throughput_qps"] > 0
    assert result["first_answer"]["kind"] == "ok" and result["server_peak_rss_mb"] > 0


def test_a_visitor_over_the_rate_limit_is_refused_with_a_rate_message(result):
    probe = result["probes"]["rate_limit"]
    assert probe["counts"] == {"ok": 3, "rate_limit": 1, "queue_full": 0, "error": 0}
    assert "每分钟最多 3 个" in probe["first_message"]["rate_limit"]


def test_visitors_beyond_the_queue_are_turned_away_not_failed(result):
    probe = result["probes"]["queue_full"]
    assert probe["made"] == 24 and probe["counts"]["error"] == 0, probe["first_message"]
    assert probe["counts"]["queue_full"] >= 1 and probe["counts"]["ok"] >= 6  # 4 waiting, 2 being answered
    assert "Queue is full" in probe["first_message"]["queue_full"]


def test_report_counts_no_errors_and_the_server_is_stopped(result):
    assert errors(result) == 0 and "errors 0" in report(result)
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(result["server_url"], timeout=5)
