"""Fixtures for the generated-client scenario: a fresh server and clients pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sachet_client import AuthenticatedClient, Client

from sachet_server import RunningServer, running_server

REPORT_DIR = Path(__file__).resolve().parents[2] / "target" / "python-client-tests"


@pytest.fixture
def server() -> Iterator[RunningServer]:
    """A server on a free port with a fresh data directory, stopped after the test."""
    with running_server(log_dir=REPORT_DIR) as running:
        yield running


@pytest.fixture
def anonymous(server: RunningServer) -> Iterator[Client]:
    """A client without a token; an undocumented status raises instead of parsing to None."""
    with Client(base_url=server.url, raise_on_unexpected_status=True, timeout=30) as client:
        yield client


@pytest.fixture
def client_for(server: RunningServer) -> Iterator:
    """`client_for(token)`: a client that sends `Authorization: Bearer <token>`."""
    clients: list[AuthenticatedClient] = []

    def make(token: str) -> AuthenticatedClient:
        client = AuthenticatedClient(
            base_url=server.url, token=token, raise_on_unexpected_status=True, timeout=30
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.get_httpx_client().close()
