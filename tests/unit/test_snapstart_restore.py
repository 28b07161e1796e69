"""SnapStart's after-restore hook: the settings come from the restore's environment, not the
snapshot's, and into the object that everything built at init holds."""

from collections.abc import Iterator

import pytest

from streamcat.api.snapstart import after_restore
from streamcat.settings import get_settings


@pytest.fixture
def snapshot_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The environment at init: a credentials endpoint, its token and a database host."""
    monkeypatch.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:9/snapshot")
    monkeypatch.setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "token-a")
    monkeypatch.setenv("DB_HOST", "snapshot.example")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.usefixtures("snapshot_environment")
def test_a_restore_reads_its_own_environment_into_the_held_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    held = get_settings()
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_FULL_URI")
    monkeypatch.setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "token-b")
    monkeypatch.setenv("DB_HOST", "restored.example")

    after_restore()

    assert get_settings() is held
    assert held.aws_container_authorization_token is not None
    assert held.aws_container_authorization_token.get_secret_value() == "token-b"
    assert held.db_host == "restored.example"
    assert held.aws_container_credentials_full_uri is None, "an unset variable is unset"
