"""The ports of the local stack's own servers: its settings, not the product's."""

import pytest

from local.ports import moto_port, postgres_port
from streamcat.settings import Settings


def test_the_defaults_and_the_variables_that_move_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STREAMCAT_PG_PORT", raising=False)
    monkeypatch.delenv("STREAMCAT_S3_PORT", raising=False)
    assert (postgres_port(), moto_port()) == (54329, 4566)

    monkeypatch.setenv("STREAMCAT_PG_PORT", "55000")
    monkeypatch.setenv("STREAMCAT_S3_PORT", "0")
    assert (postgres_port(), moto_port()) == (55000, 0)


@pytest.mark.parametrize("value", ["http", "-1", "65536"])
def test_a_value_that_is_no_port_is_refused(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("STREAMCAT_S3_PORT", value)
    with pytest.raises(ValueError, match="STREAMCAT_S3_PORT"):
        moto_port()


def test_the_product_settings_know_no_local_port() -> None:
    assert [name for name in Settings.model_fields if name.endswith("_port")] == ["db_port"]
