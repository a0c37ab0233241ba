"""Stopping and starting single servers of a running SAIO, for fault tests.

:class:`ServerControl` is a part of :class:`test.saio.Saio`.
With ``object_servers_per_device=True`` each device has an object server of
its own (``object-sdb1``, ``object-sdb2``...), so stopping one takes one
node of the object ring away, as a crashed storage node would; the proxy
then writes to a handoff device and error-limits the node, as in a real
cluster. Every signal goes to a recorded PID only (see
:mod:`test.saio.process`).

A SAIO runs no replicators; :meth:`ServerControl.replicate_objects` runs
one object-replicator pass (``sync_method = ssync``: no rsync daemon) per
object server, as a cluster's replicators would once a node is back::

    python -m test.saio.replicate CONF [CONF...]
"""

import errno
import os
import signal
import subprocess
import sys
import time

from test.saio import process
from test.saio.process import SaioError


def kill(pid, started=None, popen=None, timeout=5.0):
    """SIGKILL ``pid`` (no SIGTERM first: a crash, not a shutdown) and wait
    until it is gone.

    :returns: True if the process was running
    """
    if popen is not None and popen.pid != pid:
        popen = None    # an earlier process of that name

    def alive():
        if popen is not None and popen.poll() is not None:
            return False
        return process.is_alive(pid, started)

    if not alive():
        return False
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError as err:
        if err.errno == errno.ESRCH:
            return True
        raise
    deadline = time.time() + timeout
    while alive():
        if time.time() > deadline:
            raise SaioError('process %d survived SIGKILL' % pid)
        time.sleep(0.02)
    return True


class ServerControl(object):
    """Stop, kill and start one process of a SAIO by its name
    (``object-sdb2``, ``proxy-ours``...; see ``Saio.process_names``)."""

    def _check_name(self, name):
        if name not in self.process_names:
            raise SaioError('no process %r in this SAIO (%s)' % (
                name, ', '.join(self.process_names)))

    def pid(self, name):
        """The recorded PID of a running process, or None."""
        self._check_name(name)
        found = process.read_pid_file(self._pid_path(name))
        if found and process.is_alive(*found):
            return found[0]
        return None

    def stop_server(self, name, crash=False):
        """Stop one process by its recorded PID: SIGTERM (SIGKILL after the
        timeout), or at once SIGKILL with ``crash``.

        :returns: the PID stopped, or None if it was not running
        """
        self._check_name(name)
        found = process.read_pid_file(self._pid_path(name))
        stopped = None
        if found:
            popen = self._popens.pop(name, None)
            log_path = self.config.log_path(name)
            if crash:
                process.note(log_path, 'killing pid %d' % found[0])
                running = kill(found[0], found[1], popen)
            else:
                running = process.terminate(found[0], found[1], self.timeout,
                                            popen=popen, log_path=log_path)
            stopped = found[0] if running else None
            process.remove_file(self._pid_path(name))
        return stopped

    def start_server(self, name):
        """Start one process that is not running, with the config written
        at ``start()``, and wait until it serves.

        :returns: its PID
        """
        if self.pid(name) is not None:
            raise SaioError('%s is running already' % name)
        self._start_group([name])
        return self.pid(name)

    def kill_proxy(self, name='ours'):
        """SIGKILL a proxy (``'ours'``...), as a crash would.

        :returns: the PID killed, or None
        """
        return self.stop_server('proxy-' + name, crash=True)

    def replicate_objects(self, timeout=120):
        """One object-replicator pass per object server, in a child
        process; output goes to ``logs/object-replicator.log``.

        :raises SaioError: if the pass fails
        """
        # not at the top: ``python -m`` of that module imports this one
        from test.saio.replicate import REPLICATOR_LOG
        confs = [self.config.backend_conf_path(name)
                 for name in self.config.object_servers]
        log_path = self.config.log_path(REPLICATOR_LOG)
        process.note(log_path, 'replicating: %s' % ' '.join(confs))
        with open(log_path, 'ab') as log:
            status = subprocess.call(
                [sys.executable, '-m', 'test.saio.replicate']
                + confs,
                stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                timeout=timeout, env=process.child_env())
        if status:
            raise SaioError(
                'object replication exited with %d; %s ends with:\n%s' % (
                    status, log_path, process.log_tail(log_path)))
