"""Every kind of error the core can report answers with an HTTP status, decided in one table."""

from __future__ import annotations

from ipkg.errors import ErrorKind
from ipkg.web.errors import STATUS_OF_KIND, status_of


def test_every_error_kind_has_a_status():
    assert set(STATUS_OF_KIND) == set(ErrorKind)


def test_kinds_map_to_client_or_server_statuses_and_success_to_200():
    assert status_of(None) == 200
    assert {status_of(kind) // 100 for kind in ErrorKind} == {4, 5}
    assert status_of(ErrorKind.TIMEOUT) == 503 and status_of(ErrorKind.UPSTREAM) == 502
