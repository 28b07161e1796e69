"""Loopback ports for servers started locally (PostgreSQL, moto, the stack's API), and the ports
the local stack's own PostgreSQL and moto servers listen on (STREAMCAT_PG_PORT,
STREAMCAT_S3_PORT; 0 takes any free port).

A port is bound by whoever chooses it and handed to its server as a socket, so no other
server can take it between the choice and the use. PostgreSQL cannot be handed a socket nor
report a port it picked: it is given a port free a moment ago and started again on another
when that one was taken meanwhile (`local.postgres`)."""

import os
import socket

HOST = "127.0.0.1"
POSTGRES_PORT_VARIABLE, DEFAULT_POSTGRES_PORT = "STREAMCAT_PG_PORT", 54329
MOTO_PORT_VARIABLE, DEFAULT_MOTO_PORT = "STREAMCAT_S3_PORT", 4566


def postgres_port() -> int:
    """The port of the local stack's own PostgreSQL server."""
    return _configured_port(POSTGRES_PORT_VARIABLE, DEFAULT_POSTGRES_PORT)


def moto_port() -> int:
    """The port of the local stack's moto server (S3, SQS, IAM, Secrets Manager)."""
    return _configured_port(MOTO_PORT_VARIABLE, DEFAULT_MOTO_PORT)


def _configured_port(variable: str, default: int) -> int:
    value = os.environ.get(variable, "").strip()
    if not value:
        return default
    try:
        port = int(value)
    except ValueError:
        raise ValueError(f"{variable}={value!r} is not a port number") from None
    if not 0 <= port <= 65535:
        raise ValueError(f"{variable}={value} is not a port number (0 to 65535)")
    return port


def bound_socket(port: int = 0) -> socket.socket:
    """A socket bound to 127.0.0.1:`port` (0: any free port, see `bound_port`), not yet
    listening: connections are refused until its server listens. OSError (EADDRINUSE) when
    another process listens on the port."""
    bound = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        bound.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        bound.bind((HOST, port))
    except OSError:
        bound.close()
        raise
    return bound


def listening_socket(port: int = 0) -> socket.socket:
    """A socket listening on 127.0.0.1:`port`, for a server that takes it as it is."""
    listener = bound_socket(port)
    try:
        listener.listen(socket.SOMAXCONN)
    except OSError:
        listener.close()
        raise
    return listener


def bound_port(bound: socket.socket) -> int:
    port: int = bound.getsockname()[1]
    return port


def unused_port() -> int:
    """A port nobody listens on now, for a server that must be told its port before it binds
    it: only a candidate, since another process may take it first (the caller retries)."""
    with bound_socket() as probe:
        return bound_port(probe)
