"""The cloud path's CA bundle: certifi's, which must hold the roots of RDS Proxy's certificate."""

import re
import warnings
from pathlib import Path

import certifi
import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from streamcat import db
from streamcat.settings import Settings

AMAZON_ROOT_CA_1 = "Amazon Root CA 1"


def _bundle() -> list[x509.Certificate]:
    """Every certificate of certifi's bundle that this cryptography parses: one by one, since a
    few old roots have serial numbers RFC 5280 forbids, which cryptography warns about now and
    will refuse later."""
    pem = Path(certifi.where()).read_text()
    blocks = re.findall(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", pem, re.S)
    certificates = []
    for block in blocks:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                certificates.append(x509.load_pem_x509_certificate(block.encode()))
            except ValueError:
                continue
    assert len(certificates) > 100, "certifi's bundle did not parse"
    return certificates


def _subject(certificate: x509.Certificate, oid: x509.ObjectIdentifier) -> list[str]:
    return [str(attribute.value) for attribute in certificate.subject.get_attributes_for_oid(oid)]


def test_certifis_bundle_holds_amazon_root_ca_1() -> None:
    """RDS Proxy's endpoint presents an ACM certificate chained to Amazon Root CA 1-4."""
    amazon_roots = [
        certificate
        for certificate in _bundle()
        if _subject(certificate, NameOID.COMMON_NAME) == [AMAZON_ROOT_CA_1]
        and _subject(certificate, NameOID.ORGANIZATION_NAME) == ["Amazon"]
    ]
    assert len(amazon_roots) == 1
    root = amazon_roots[0]
    assert root.issuer == root.subject  # self-signed: a root, not an intermediate
    assert root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


def test_root_cert_is_certifis_bundle_unless_db_ssl_root_cert_names_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DB_SSL_ROOT_CERT", raising=False)
    assert db.ssl_root_cert(Settings()) == certifi.where()

    monkeypatch.setenv("DB_SSL_ROOT_CERT", "/etc/streamcat/rds-ca.pem")
    assert Settings().db_ssl_root_cert == "/etc/streamcat/rds-ca.pem"
    assert db.ssl_root_cert(Settings()) == "/etc/streamcat/rds-ca.pem"
