"""One BLAS thread inside the time loop.

A step's matmul, e.g. (32, 128) @ (128, 512), is just above OpenBLAS's threading threshold: its
threads then spin-wait on each other a hundred times per sequence, and on a busy 2-core machine a
descheduled thread costs a whole time slice per step (5–35× slower, measured). One thread is as
fast when the machine is idle and stable when it is not. The big input projection outside the
loop keeps all threads. Uses threadpoolctl when installed; without it this does nothing.
"""
from __future__ import annotations

import contextlib

_libraries = None


def _blas_libraries():
    global _libraries
    if _libraries is None:
        try:
            from threadpoolctl import ThreadpoolController
            _libraries = [lib for lib in ThreadpoolController().lib_controllers
                          if lib.user_api == "blas"]
        except Exception:  # threadpoolctl missing or unable to inspect: leave BLAS alone
            _libraries = []
    return _libraries


@contextlib.contextmanager
def single_thread():
    libraries = _blas_libraries()
    before = [lib.get_num_threads() for lib in libraries]
    for lib in libraries:
        lib.set_num_threads(1)
    try:
        yield
    finally:
        for lib, n in zip(libraries, before):
            lib.set_num_threads(n)
