"""The one change the SAM CLI test makes to `sam local invoke`: its containers' network.

Docker daemons that the tests start have no bridge network (`dockerd --bridge=none`), and SAM
CLI cannot put a container on the host's network (`--docker-network host` only skips connecting
it to a network; the container keeps its published port and the default network). Imported at
the start of the `sam` process (this folder is on its PYTHONPATH), this wraps docker-py's
container creation so that each container SAM creates:

- runs on the host's network, so the local stack on 127.0.0.1 is reachable;
- has its emulator listen on 127.0.0.1 at the port SAM would have published (SAM calls it
  there), and its Runtime API on a free loopback port (on the host's network the default,
  127.0.0.1:9001, would be shared by every container);
- resolves `--add-host NAME:host-gateway` to 127.0.0.1, the host as seen from its own network.

Everything else (image, mounts, environment, entrypoint, command) is SAM's own.
"""

import socket
from typing import Any

from docker.models.containers import ContainerCollection

RAPID_PORT = "8080"
_create = ContainerCollection.create


def _free_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _on_host_network(
    self: ContainerCollection, image: Any, command: Any = None, **kwargs: Any
) -> Any:
    ports = kwargs.pop("ports", None) or {}
    entrypoint = list(kwargs.get("entrypoint") or [])
    if RAPID_PORT in ports and entrypoint:
        _interface, host_port = ports[RAPID_PORT]
        entrypoint[1:1] = [
            "--runtime-interface-emulator-address",
            f"127.0.0.1:{host_port}",
            "--runtime-api-address",
            f"127.0.0.1:{_free_loopback_port()}",
        ]
        kwargs["entrypoint"] = entrypoint
    hosts = kwargs.get("extra_hosts") or {}
    kwargs["extra_hosts"] = {
        name: "127.0.0.1" if address == "host-gateway" else address
        for name, address in hosts.items()
    }
    kwargs["network_mode"] = "host"
    return _create(self, image, command, **kwargs)


ContainerCollection.create = _on_host_network
