"""The suite's network guard: anything but localhost is refused, so no test can pass by reaching out."""

from __future__ import annotations

import socket

import pytest
from pytest_socket import SocketConnectBlockedError


def test_connecting_outside_localhost_fails():
    with pytest.raises(SocketConnectBlockedError), socket.create_connection(("192.0.2.1", 80), timeout=1):
        pass


def test_localhost_is_allowed():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    with socket.create_connection(server.getsockname(), timeout=1):
        pass
    server.close()
