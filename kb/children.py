"""Processes `kb index` starts end when it ends, however it ends.

A large build parses articles in a process pool and writes segments in Whoosh's writer
processes. If `kb index` is killed (SIGKILL, the OOM killer), nothing tells them: they would
stay alive holding tens of megabytes each. On Linux every child forked after
`end_children_with_this_process()` asks the kernel (prctl PR_SET_PDEATHSIG) to kill it when
its parent dies. Elsewhere the children are left to finish and exit on their own.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import signal
import sys

log = logging.getLogger(__name__)

#: From <linux/prctl.h>.
PR_SET_PDEATHSIG = 1

_registered = False


def end_children_with_this_process() -> None:
    """From now on, each child forked by this process is killed when its parent dies (Linux)."""
    global _registered
    if _registered or not sys.platform.startswith("linux"):
        return
    parent = os.getpid()
    os.register_at_fork(after_in_child=lambda: _die_with(parent))
    _registered = True


def _die_with(parent: int) -> None:
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        log.warning("a child of kb index cannot be tied to its parent: %s", os.strerror(ctypes.get_errno()))
    # The parent may have died between the fork and the call above: nothing would signal then.
    if os.getppid() != parent:
        os.kill(os.getpid(), signal.SIGKILL)
