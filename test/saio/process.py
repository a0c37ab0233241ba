"""Start, watch and stop the processes of a SAIO, by recorded PID only.

Each process runs in its own session (so a Ctrl-C in the launcher's
terminal does not reach it) with stdout and stderr appended to a log file.
Its PID and start time (from ``/proc/<pid>/stat``) go to a pid file; a
process is only signalled if it still has the recorded start time, so a
recycled PID never gets a signal meant for one of ours. Nothing is ever
looked up or killed by name.
"""

import errno
import os
import signal
import socket
import subprocess
import time
from urllib.error import HTTPError, URLError
from urllib.request import urlopen


class SaioError(Exception):
    """A SAIO could not be started, or is not in the state expected."""


# the clone: ``python -m test.saio...`` imports from there (and
# ``test`` there, not the standard library's package of that name)
CLONE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def child_env(**more):
    """The environment of a Python process we start: ours, with the clone
    first on PYTHONPATH, and ``more``."""
    env = dict(os.environ, **more)
    env['PYTHONPATH'] = os.pathsep.join([CLONE_ROOT] + [
        p for p in env.get('PYTHONPATH', '').split(os.pathsep) if p])
    return env


def proc_stat(pid):
    """(state, start time) of a process from /proc, or None if none."""
    try:
        with open('/proc/%d/stat' % pid) as fp:
            data = fp.read()
    except (IOError, OSError):
        return None
    # the command name is in parentheses and may contain anything
    fields = data[data.rindex(')') + 2:].split()
    return fields[0], fields[19]


def start_time(pid):
    stat = proc_stat(pid)
    return stat[1] if stat else None


def is_alive(pid, started=None):
    """True if ``pid`` runs (not a zombie) and, if given, started then."""
    stat = proc_stat(pid)
    if stat is None:
        if os.path.isdir('/proc/self'):
            return False
        try:  # no /proc here: the best we can do
            os.kill(pid, 0)
        except OSError as err:
            return err.errno == errno.EPERM
        return True
    state, when = stat
    if state in ('Z', 'X'):
        return False
    return started is None or when == started


def write_pid_file(path, pid):
    with open(path, 'w') as fp:
        fp.write('%d %s\n' % (pid, start_time(pid) or '-'))


def read_pid_file(path):
    """(pid, start time or None) from a pid file, or None."""
    try:
        with open(path) as fp:
            words = fp.read().split()
        pid = int(words[0])
    except (IOError, OSError, ValueError, IndexError):
        return None
    started = words[1] if len(words) > 1 and words[1] != '-' else None
    return pid, started


def remove_file(path):
    try:
        os.unlink(path)
    except OSError as err:
        if err.errno != errno.ENOENT:
            raise


def note(log_path, text):
    """Append a dated ``--- text`` line to a log file."""
    with open(log_path, 'ab') as log:
        log.write(('--- %s %s\n' % (
            time.strftime('%Y-%m-%d %H:%M:%S'), text)).encode('utf8'))


def spawn(argv, log_path, env=None):
    """Start ``argv`` in a new session, output appended to ``log_path``."""
    note(log_path, 'starting: %s' % ' '.join(argv))
    with open(log_path, 'ab') as log:
        return subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=log,
            stderr=subprocess.STDOUT, env=env, close_fds=True,
            start_new_session=True, cwd='/')


def terminate(pid, started=None, timeout=10.0, popen=None, log_path=None):
    """SIGTERM ``pid``, SIGKILL it after ``timeout`` seconds.

    :param popen: the process's Popen if we are its parent (it gets reaped)
    :param log_path: its log file, to note the stop in
    :returns: True if the process was running
    """
    if popen is not None and popen.pid != pid:
        # a Popen of an earlier process of that name (another Saio object
        # restarted it): ask about the recorded pid, not about the Popen
        popen = None

    def alive():
        if popen is not None and popen.poll() is not None:
            return False
        return is_alive(pid, started)

    if not alive():
        return False
    if log_path:
        note(log_path, 'stopping pid %d' % pid)
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
        try:
            os.kill(pid, sig)
        except OSError as err:
            if err.errno == errno.ESRCH:
                return True
            raise
        deadline = time.time() + wait
        while time.time() < deadline:
            if not alive():
                return True
            time.sleep(0.05)
    raise SaioError('process %d survived SIGKILL' % pid)


def port_in_use(port, host='127.0.0.1'):
    """True if we cannot bind ``host:port`` (as Swift would, reusing)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError:
        return True
    finally:
        sock.close()
    return False


def port_accepts(port, host='127.0.0.1', timeout=0.5):
    try:
        socket.create_connection((host, port), timeout).close()
    except OSError:
        return False
    return True


def http_status(url, timeout=2.0, context=None):
    """HTTP status of a GET of ``url``, or None if there is no answer.

    :param context: ``ssl.SSLContext`` of an https ``url``
    """
    try:
        with urlopen(url, timeout=timeout, context=context) as resp:
            return resp.status
    except HTTPError as err:
        return err.code
    except (URLError, OSError):
        return None


def log_tail(path, lines=25):
    """The last ``lines`` lines of a log file, for error messages."""
    try:
        with open(path, 'rb') as fp:
            fp.seek(0, os.SEEK_END)
            fp.seek(max(0, fp.tell() - 16384))
            text = fp.read().decode('utf8', 'replace')
    except (IOError, OSError) as err:
        return '(cannot read %s: %s)' % (path, err)
    return '\n'.join(text.splitlines()[-lines:])


def wait_until_ready(checks, timeout=30.0):
    """Wait until every check passes.

    :param checks: a list of (name, ready, popen, log_path); ``ready()``
        returns True when the process serves
    :raises SaioError: if a process exits or the timeout expires, with the
        tail of that process's log
    """
    pending = list(checks)
    deadline = time.time() + timeout
    while pending:
        for check in list(pending):
            name, ready, popen, log_path = check
            if popen is not None and popen.poll() is not None:
                raise SaioError('%s exited with status %s; %s ends with:\n%s'
                                % (name, popen.returncode, log_path,
                                   log_tail(log_path)))
            if ready():
                pending.remove(check)
        if not pending:
            break
        if time.time() > deadline:
            name, _ready, _popen, log_path = pending[0]
            raise SaioError('%s not ready after %ds; %s ends with:\n%s' % (
                ', '.join(c[0] for c in pending), timeout, log_path,
                log_tail(log_path)))
        time.sleep(0.1)
