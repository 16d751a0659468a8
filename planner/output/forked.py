"""Run some of the writers in a forked child process while the parent writes the others.

Writing a plan is several independent jobs (the map, the GeoPackages, the
workbooks, the UKE export, the report); on a machine with two or more cores
:func:`planner.output.write_plan` runs a share of them in a child made with
``os.fork``: the child sees the parent's plan as it is (copy-on-write: nothing
is pickled), writes its files into the same staging directory and reports
back through a pipe the wall time of each job, or the exception that stopped
it.  The parent re-raises that exception, so a failure in either process
leaves the previous output untouched (:func:`planner.output.files.staged_output_dir`).

Forking is used only on Linux (``os.fork`` without ``exec`` is unsafe on
macOS and unavailable on Windows); elsewhere, and with ``processes=1``, the
jobs run one after the other in the calling process.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import signal
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from planner._timing import Clock

__all__ = ["Job", "ForkedJobs", "can_fork", "fork", "forked_jobs"]

#: A named job: ``(name, callable)``; its wall time is reported under ``name``.
Job = tuple[str, Callable[[], object]]


def can_fork() -> bool:
    """Whether writers may run in forked processes here (Linux with ``os.fork``)."""
    return sys.platform.startswith("linux") and hasattr(os, "fork")


def fork(child: Callable[[], int]) -> int:
    """Fork; the child runs ``child()`` and exits with its code (without the parent's exit handlers).

    Output buffered so far is flushed first, so that neither process writes it twice.

    Returns
    -------
    int
        The child's pid (in the parent; the child never returns).
    """
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    pid = os.fork()
    if pid == 0:
        # The parent's objects stay out of the child's garbage collections, which would otherwise
        # touch (and so copy) every page of them.
        gc.freeze()
        code = 1
        try:
            code = child()
        finally:
            for stream in (sys.stdout, sys.stderr):
                with contextlib.suppress(Exception):
                    stream.flush()
            os._exit(code)
    return pid


class ForkedJobs:
    """Jobs running in one forked child; :meth:`join` waits and re-raises the child's error.

    Parameters
    ----------
    jobs
        Named callables, run in order in the child.
    timings
        Filled (on :meth:`join`) with each job's wall seconds, as
        :class:`planner._timing.Clock` does.
    """

    def __init__(self, jobs: Sequence[Job], timings: dict[str, float] | None = None) -> None:
        self.jobs = list(jobs)
        self.timings = timings
        self.pid = 0
        self._read_fd = -1

    def start(self) -> ForkedJobs:
        """Fork the child and start the jobs there; returns ``self``."""
        read_fd, write_fd = os.pipe()

        def child() -> int:
            os.close(read_fd)
            return _child(self.jobs, write_fd)

        pid = fork(child)
        os.close(write_fd)
        self.pid, self._read_fd = pid, read_fd
        return self

    def join(self) -> None:
        """Wait for the child; merge its timings; re-raise the exception that stopped it.

        Raises
        ------
        Exception
            The child's exception (with its traceback as a note), or
            :class:`ChildProcessError` when the child died without a report.
        """
        if not self.pid:
            return
        with os.fdopen(self._read_fd, "rb") as f:
            payload = f.read()
        pid = self.pid
        _, status = os.waitpid(pid, 0)
        self.pid = 0
        report: dict[str, Any] = pickle.loads(payload) if payload else {}
        if self.timings is not None:
            for name, seconds in report.get("timings", {}).items():
                self.timings[name] = self.timings.get(name, 0.0) + seconds
        error = report.get("error")
        if error is not None:
            exc, text = error
            exc.add_note(f"(raised in the writer process {pid}; its traceback:)\n{text}")
            raise exc
        if not (os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0):
            raise ChildProcessError(f"the writer process ended without a report (status {status}); "
                                    "its outputs are incomplete")

    def kill(self) -> None:
        """Stop a child that is still running (the parent failed); its outputs are discarded."""
        if not self.pid:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)
        with contextlib.suppress(OSError):
            os.close(self._read_fd)
        self.pid = 0


def _child(jobs: Sequence[Job], write_fd: int) -> int:
    """Body of the child: run ``jobs``, send ``{'timings', 'error'}`` to the parent; exit code."""
    timings: dict[str, float] = {}
    error: tuple[BaseException, str] | None = None
    clock = Clock(timings)
    try:
        for name, fn in jobs:
            with clock(name):
                fn()
    except BaseException as exc:  # reported to the parent, which raises it
        text = traceback.format_exc()
        try:
            pickle.dumps(exc)
            error = (exc, text)
        except Exception:  # an exception that cannot travel: its type and message do
            error = (RuntimeError(f"{type(exc).__name__}: {exc}"), text)
    payload = pickle.dumps({"timings": timings, "error": error})
    with os.fdopen(write_fd, "wb") as f:
        f.write(payload)
    return 0 if error is None else 1


@contextlib.contextmanager
def forked_jobs(jobs: Sequence[Job], *, processes: int, timings: dict[str, float] | None = None
                ) -> Iterator[ForkedJobs | None]:
    """Run ``jobs`` in a forked child during the block (or, without forking, at its end).

    Parameters
    ----------
    jobs
        Named callables; they must only write files of their own.
    processes
        ``>= 2`` with :func:`can_fork`: fork; otherwise the jobs run in this
        process when the block ends.
    timings
        Wall seconds per job name.

    Yields
    ------
    ForkedJobs or None
        The running child (``None`` when not forked).  Leaving the block waits
        for it and re-raises its error; an error inside the block kills it.
    """
    if processes < 2 or not can_fork() or not jobs:
        yield None
        clock = Clock(timings)
        for name, fn in jobs:
            with clock(name):
                fn()
        return
    child = ForkedJobs(jobs, timings).start()
    try:
        yield child
    except BaseException:
        child.kill()
        raise
    child.join()
