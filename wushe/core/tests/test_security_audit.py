"""The CI dependency audit (.ci/audit) fails on a known vulnerability and only warns when the
vulnerability service cannot be reached, including pip-audit's silent "nothing could be
looked up" pass."""

from __future__ import annotations

import json
from importlib.machinery import SourceFileLoader
from importlib.util import module_from_spec, spec_from_loader
from pathlib import Path

import pytest

PATH = Path(__file__).resolve().parents[3] / ".ci" / "audit"


@pytest.fixture(scope="module")
def audit():
    loader = SourceFileLoader("ci_audit", str(PATH))
    spec = spec_from_loader("ci_audit", loader)
    module = module_from_spec(spec)
    loader.exec_module(module)
    return module


def pip_report(*deps):
    return json.dumps({"dependencies": list(deps), "fixes": []})


def test_pip_vulnerability_fails(audit):
    verdict, message = audit.judge_pip(
        1,
        pip_report(
            {
                "name": "django",
                "version": "5.2.0",
                "vulns": [{"id": "GHSA-x", "fix_versions": ["5.2.1"]}],
            },
            {"name": "rules", "version": "3.5", "vulns": []},
        ),
        "",
    )
    assert verdict == audit.FAIL
    assert "django 5.2.0: GHSA-x (fixed in 5.2.1)" in message


def test_pip_clean_report_passes(audit):
    verdict, _ = audit.judge_pip(
        0, pip_report({"name": "rules", "version": "3.5", "vulns": []}), ""
    )
    assert verdict == audit.OK


def test_pip_nothing_looked_up_is_a_warning_not_a_pass(audit):
    # What pip-audit prints here: exit 0, "No known vulnerabilities found", every package skipped.
    report = pip_report(
        {"name": "django", "version": "5.2.19", "skip_reason": "Dependency not found on PyPI"},
        {"name": "rules", "version": "3.5", "skip_reason": "Dependency not found on PyPI"},
    )
    verdict, message = audit.judge_pip(0, report, "")
    assert verdict == audit.WARN
    assert "could not check 2 of 2 packages" in message


def test_pip_unreachable_service_is_a_warning(audit):
    stderr = "requests.exceptions.ConnectionError: Max retries exceeded with url: /pypi/django/json"
    assert audit.judge_pip(1, "", stderr)[0] == audit.WARN


def test_pip_crash_without_network_hint_fails(audit):
    assert audit.judge_pip(2, "", "error: requirements.lock: no such file")[0] == audit.FAIL


def test_npm_vulnerability_fails(audit):
    report = json.dumps(
        {
            "auditReportVersion": 2,
            "vulnerabilities": {"echarts": {"severity": "high"}},
            "metadata": {"vulnerabilities": {"high": 1, "total": 1}},
        }
    )
    verdict, message = audit.judge_npm(1, report, "")
    assert verdict == audit.FAIL
    assert "echarts (high)" in message


def test_npm_clean_report_passes(audit):
    report = json.dumps(
        {
            "auditReportVersion": 2,
            "vulnerabilities": {},
            "metadata": {"vulnerabilities": {"total": 0}},
        }
    )
    assert audit.judge_npm(0, report, "")[0] == audit.OK


def test_npm_unreachable_advisory_endpoint_is_a_warning(audit):
    # What npm answers on this machine: the registry mirror refuses the bulk advisory POST.
    report = json.dumps(
        {
            "message": "405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk",
            "statusCode": 405,
            "error": {"summary": "", "detail": ""},
        }
    )
    verdict, message = audit.judge_npm(1, report, "npm error audit endpoint returned an error")
    assert verdict == audit.WARN
    assert "405 Method Not Allowed" in message
