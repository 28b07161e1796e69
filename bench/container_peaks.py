"""Peak memory of the local stack's function containers, read from /proc, for a function that
does not report its own: the scale bench says which source each figure came from."""

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ETL_FUNCTION, TRAIN_FUNCTION = "EtlFunction", "TrainFunction"


class ContainerPeaks:
    """VmHWM of every process under the stack, by pid, with the function it looks like: training
    when it mapped scikit-learn, the ETL when it mapped pyarrow (a warm container's mark spans
    all its invocations)."""

    def __init__(self, root_pid: int) -> None:
        self.root_pid = root_pid
        self.peaks: dict[int, float] = {}
        self.kinds: dict[int, str] = {}

    def sample(self) -> None:
        for pid in _descendants(self.root_pid):
            found = re.search(r"^VmHWM:\s+(\d+) kB", _read(Path(f"/proc/{pid}/status")), re.M)
            if not found:
                continue
            self.peaks[pid] = max(self.peaks.get(pid, 0.0), int(found.group(1)) / 1024)
            if self.kinds.get(pid) in (None, "other", ETL_FUNCTION):
                self.kinds[pid] = _kind(_read(Path(f"/proc/{pid}/maps")))

    @contextmanager
    def sampling(self, every_s: float) -> Iterator["ContainerPeaks"]:
        """Sampled in a thread of its own from entry to exit (uploads included: a load may
        start, and its container go, while later files still upload)."""
        stop = threading.Event()

        def sample() -> None:
            while not stop.is_set():
                self.sample()
                stop.wait(every_s)

        thread = threading.Thread(target=sample, name="container-peaks", daemon=True)
        thread.start()
        try:
            yield self
        finally:
            stop.set()
            thread.join()
            self.sample()

    def peak(self, function: str) -> float | None:
        found = [mb for pid, mb in self.peaks.items() if self.kinds.get(pid) == function]
        return round(max(found), 1) if found else None


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


def _kind(maps: str) -> str:
    if "/sklearn/" in maps:
        return TRAIN_FUNCTION
    if "/pyarrow/" in maps:
        return ETL_FUNCTION
    return "other"


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        stat = _read(entry / "stat") if entry.name.isdigit() else ""
        if ")" in stat:
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    found, pending = [], [root]
    while pending:
        for child in children.get(pending.pop(), []):
            found.append(child)
            pending.append(child)
    return found
