"""Lambda SnapStart runtime hooks of the HTTP functions (`snapshot-restore-py`, which the Python
managed runtimes include).

With SnapStart, Lambda runs a version's init once, snapshots the memory and restores every new
container from that snapshot, so whatever init builds is free for users; but whatever the
snapshot holds is shared by every container restored from it. So before the snapshot the
function does the work its first request would do that is safe to freeze (imports, the app's
OpenAPI document), and holds nothing that must be unique or fresh:
no database connection (its socket would be dead, or shared), no credentials (they expire; the
secret may have rotated) and no random state (every container would draw the same numbers).
After restore it reseeds randomness; the connection, the secret and the credentials are taken
afresh by the first request, as in a cold container (nothing caches them: streamcat.db reads
the secret per connection, streamcat.aws the credentials per call).
"""

import random

from fastapi import FastAPI
from snapshot_restore_py import register_after_restore, register_before_snapshot

from streamcat import db


def register(app: FastAPI) -> None:
    """Hooks for one HTTP function's app: the handler module imports this, as Lambda requires
    of a module whose hooks it runs."""
    register_before_snapshot(prepare_snapshot, app)
    register_after_restore(after_restore)


def prepare_snapshot(app: FastAPI) -> None:
    """Build what the first request would (the OpenAPI document), then drop the connection
    init may have opened. The secret is never cached (streamcat.db reads it per connection)."""
    app.openapi()
    db.reset_shared_connection()


def after_restore() -> None:
    """A restored container: no connection shared with its snapshot's other restores, and
    randomness reseeded from the OS, which Lambda gives fresh entropy after a restore. The
    settings are kept (re-reading them costs ~5 ms): with SnapStart the environment holds no
    credentials, and streamcat.aws asks the container credentials endpoint at every call."""
    db.reset_shared_connection()
    random.seed()
