"""Requests made at once, in green threads, whose errors reach the caller.

An exception that leaves a green thread's function is raised again by its
``wait()``, and also printed by eventlet's hub: Swift's servers log it as a
traceback on STDERR, for an S3 error as ordinary as AccessDenied. A
:class:`Quiet` thread hands its exception to ``wait()`` only.
"""


class Quiet(object):
    """``func(*args, **kwargs)`` run in a green thread of ``pool``."""

    def __init__(self, pool, func, *args, **kwargs):
        self._thread = pool.spawn(self._run, func, args, kwargs)

    @staticmethod
    def _run(func, args, kwargs):
        try:
            return None, func(*args, **kwargs)
        except Exception as err:
            return err, None

    def wait(self):
        """:returns: what the function returned; raises what it
        raised."""
        err, result = self._thread.wait()
        if err is not None:
            raise err
        return result
