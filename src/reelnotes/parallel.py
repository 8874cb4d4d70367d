"""Spread work over processes when there is enough of it to pay for starting them.

multiprocessing and concurrent.futures are imported only once work is spread: a small
rebuild, all in-process, does not pay the ~15 ms they take to load.
"""

from __future__ import annotations

import functools
import gc
import os
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from concurrent.futures import Executor

T = TypeVar("T")
R = TypeVar("R")
MIN_PARALLEL = 64
"""Fewer items than this are handled in-process: starting workers would cost more."""
CHUNK_MAX, CHUNK_MIN = 512, 8
"""The most and the fewest items a worker is handed at once (chunks)."""


def default_jobs() -> int:
    """The processes a build may use: the CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def start_method() -> str:
    """Fork (workers share the parent's memory) when this process has one thread; else a
    fork server, since forking a process with threads (a dev server) is unsafe."""
    import multiprocessing

    method = "fork" if threading.active_count() == 1 else "forkserver"
    return method if method in multiprocessing.get_all_start_methods() else "spawn"


def pool(jobs: int, init: Callable[..., None] | None, initargs: tuple[Any, ...]) -> Executor:
    """A process pool whose workers run `init(*initargs)` first, and end with the build."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    libc()  # loaded here, so that forked workers have it already
    method = start_method()
    # A forked worker's parent is the build; one started by a fork server (or spawned), the
    # server's, which lives as long as the build
    parent = os.getpid() if method == "fork" else None
    return ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context(method),
                               initializer=_start_worker, initargs=(parent, init, initargs))


def _start_worker(parent: int | None, init: Callable[..., None] | None,
                  initargs: tuple[Any, ...]) -> None:
    """Tie a worker's life to its parent's: a forked worker holds both ends of the pool's
    pipes, so it would never see a killed build's end and would wait forever."""
    die_with_parent()
    if parent is not None and os.getppid() != parent:  # the build died before the tie
        os._exit(1)
    if init is not None:
        init(*initargs)


def die_with_parent() -> None:
    """Ask Linux to kill this process when its parent dies (prctl PR_SET_PDEATHSIG);
    elsewhere nothing."""
    c = libc()
    try:
        if c is not None:
            c.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG = 1
    except AttributeError:  # not Linux
        pass


@functools.cache
def libc() -> Any:
    """The C library through ctypes, loaded once per process; None where it cannot be.

    The process's own symbols (dlopen of no file), which hold the C library's that Python is
    linked with: ctypes.util.find_library("c") would run ldconfig, ~10 ms of a patch build.
    """
    import ctypes

    try:
        return ctypes.CDLL(None, use_errno=True)
    except (OSError, TypeError):  # (TypeError: a platform with no dlopen of no file)
        return None


def fan_out(work: Callable[[T], R], items: Sequence[T], jobs: int,
            remote: Callable[[T], R] | None = None, init: Callable[..., None] | None = None,
            initargs: tuple[Any, ...] = (), inherit: bool = False) -> Iterator[R]:
    """Apply `work` to `items`, yielding results in order, across `jobs` processes if it pays.

    Worker processes run `init(*initargs)` once, then `remote` (default `work`) per item;
    both must be module-level functions. In-process, `work` runs alone. With `inherit`,
    `initargs` cannot be pickled, so workers are used only if they can be forked.
    """
    if jobs <= 1 or len(items) < MIN_PARALLEL or (inherit and start_method() != "fork"):
        yield from map(work, items)
        return
    forked = start_method() == "fork"
    if forked:
        # Forked workers share the parent's objects until they write to them; a garbage
        # collection in a worker would visit (and so copy) every one. Frozen, they are left
        # out of collections until the pool is done.
        gc.freeze()
    try:
        with pool(jobs, init, initargs) as executor:
            task = remote or work
            for done in executor.map(_run_chunk, [(task, items[start:end])
                                                  for start, end in chunks(len(items), jobs)]):
                yield from done
    finally:
        if forked:
            gc.unfreeze()


def chunks(n: int, jobs: int) -> list[tuple[int, int]]:
    """Spans of n items to hand to `jobs` workers, from large to small ("guided", as OpenMP
    says): each a share of what is left, so that workers are seldom waiting for their next
    (the pool's queue holds one chunk beyond its workers, refilled by a thread of the busy
    main process: 32 posts a chunk made reading 4,000 posts ~0.1 s slower) and finish
    together (the last chunks are small)."""
    spans = []
    start = 0
    while start < n:
        size = max(CHUNK_MIN, min(CHUNK_MAX, (n - start) // (jobs * 2)))
        spans.append((start, min(n, start + size)))
        start += size
    return spans


def _run_chunk(task: tuple[Callable[[T], R], Sequence[T]]) -> list[R]:
    """Run one chunk in a worker."""
    work, items = task
    return [work(item) for item in items]
