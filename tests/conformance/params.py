"""The suite's tests as pytest parameters for one service: in loading order, each expected
failure marked strict xfail with its reason, optional features the services do not offer
skipped."""

from __future__ import annotations

import pytest
from conformance.expected_failures import deviation
from conformance.runner import applicable, loading_order
from conformance.suite import Case, cases_of


def parameters(service: str, folders: tuple[str, ...]) -> list:
    params = []
    for case in loading_order(cases_of(folders)):
        marks = []
        if not applicable(case):
            marks.append(pytest.mark.skip(reason=f"optional feature: {', '.join(case.requires)}"))
        elif (dev := deviation(service, case.id)) is not None:
            marks.append(pytest.mark.xfail(strict=True, reason=dev.reason))
        params.append(pytest.param(case, id=case.id, marks=marks))
    return params


def check(case: Case, service) -> None:
    from conformance.runner import run

    verdict = run(case, service)
    assert verdict.passed, f"{case.id} ({case.name}): {verdict.message}"
