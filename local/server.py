"""The local API server: every route of the API in one app, served by uvicorn on loopback.

Configuration (DATABASE_URL, AWS_ENDPOINT_URL...) comes from the environment, as in Lambda;
`python -m local.stack` sets it up and serves through `serve`."""

import argparse

HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def serve(port: int = DEFAULT_PORT) -> None:
    """Serve until Ctrl-C (uvicorn handles the signal and shuts down gracefully)."""
    import uvicorn

    from streamcat.api.app import create_local_app

    uvicorn.run(create_local_app(), host=HOST, port=port, log_level="info")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m local.server", description=__doc__)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="default %(default)s")
    serve(parser.parse_args(argv).port)


if __name__ == "__main__":
    main()
