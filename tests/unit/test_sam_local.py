"""local.sam_local: the stack's values as a `sam local invoke` container must see them."""

from pathlib import Path

from local.sam_local import CONTAINER_HOST, container_value


def test_loopback_hosts_become_the_name_a_container_reaches_the_host_by() -> None:
    assert container_value("DB_HOST", "127.0.0.1") == CONTAINER_HOST
    assert container_value("AWS_ENDPOINT_URL", "http://127.0.0.1:4566") == (
        f"http://{CONTAINER_HOST}:4566"
    )
    url = container_value("DATABASE_URL", "postgresql://u:p@localhost:5432/db?sslmode=require")
    assert f"host={CONTAINER_HOST}" in url and "sslmode=require" in url


def test_other_hosts_and_values_stay_as_they_are() -> None:
    assert container_value("DB_HOST", "db.example.com") == "db.example.com"
    assert container_value("AWS_ENDPOINT_URL", "") == ""
    assert container_value("DATA_BUCKET", "127.0.0.1") == "127.0.0.1"


def test_the_ca_travels_as_its_pem(tmp_path: Path) -> None:
    """A container sees none of this machine's files."""
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    assert container_value("DB_SSL_ROOT_CERT", str(ca)) == ca.read_text()


def test_the_functions_take_a_pem_in_db_ssl_root_cert_as_their_ca_file() -> None:
    from streamcat.db import ssl_root_cert
    from streamcat.settings import Settings

    pem = "-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n"
    path = Path(ssl_root_cert(Settings(db_ssl_root_cert=pem)))

    assert path.read_text() == pem
    assert ssl_root_cert(Settings(db_ssl_root_cert="/etc/ca.pem")) == "/etc/ca.pem"
