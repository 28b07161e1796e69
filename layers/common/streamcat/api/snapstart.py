"""Lambda SnapStart runtime hooks of the HTTP functions (`snapshot-restore-py`, which the Python
managed runtimes include).

With SnapStart, Lambda runs a version's init once, snapshots the memory and restores every new
container from that snapshot, so whatever init builds is free for users; but whatever the
snapshot holds is shared by every container restored from it. So before the snapshot the
function does the work its first request would do that is safe to freeze (imports, the app's
OpenAPI document), and holds nothing that must be unique or fresh:
no database connection (its socket would be dead, or shared), no credentials (they expire; the
secret may have rotated) and no random state (every container would draw the same numbers).

The settings object is in the snapshot, and a restore's environment is not the snapshot's: it
brings its own container credentials endpoint and token. So after a restore the settings are
read from the environment again, into the same object (everything built at init sees them),
and randomness is reseeded; the connection, the secret and the credentials are taken afresh by
the first request, as in a cold container (nothing caches them: streamcat.db reads the secret
per connection, streamcat.aws the credentials per call). No boto3 session or client is built
where SnapStart runs: the credentials endpoint is always there, and boto3 is only the fallback
of a shell without credentials.
"""

import gc
import importlib
import random

from fastapi import FastAPI
from snapshot_restore_py import register_after_restore, register_before_snapshot

from streamcat import db
from streamcat.settings import refresh_settings


def register(app: FastAPI) -> None:
    """Hooks for one HTTP function's app: the handler module imports this, as Lambda requires
    of a module whose hooks it runs."""
    register_before_snapshot(prepare_snapshot, app)
    register_after_restore(after_restore)


# Modules the first request imports (seen in sys.modules after it): the codec that resolves a
# host name for any connection, and the backend of anyio's threadpool, where FastAPI runs a
# sync endpoint (recommendations). Importing them is safe to freeze; starting threads is not.
FIRST_REQUEST_IMPORTS = ("encodings.idna", "anyio._backends._asyncio")


def prepare_snapshot(app: FastAPI) -> None:
    """Build what the first request would (its imports, the OpenAPI document), then drop the
    connection init may have opened (the secret is never cached: streamcat.db reads it per
    connection). Last, every object init made is collected or frozen out of the garbage
    collector: a collection after the restore would touch each of them, paging the whole
    snapshot (for recommendations, the model) back in during the first request."""
    for module in FIRST_REQUEST_IMPORTS:
        importlib.import_module(module)
    app.openapi()
    db.reset_shared_connection()
    gc.collect()
    gc.freeze()


def after_restore() -> None:
    """A restored container, as a cold one: the settings read from its own environment (the
    snapshot's credentials token is not valid any more; ~1-2 ms), no connection shared with its
    snapshot's other restores, and randomness reseeded from the OS, which Lambda gives fresh
    entropy after a restore."""
    refresh_settings()
    db.reset_shared_connection()
    random.seed()
