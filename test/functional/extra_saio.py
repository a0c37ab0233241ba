"""A second SAIO for a test module that needs other options, or whose
requests must not reach the session SAIO's log.

conftest.py starts one SAIO per session and fails the session on any
traceback or 500 in its proxy's log. A module that needs ``s3_acl`` on
(test_access.py), or that shows a known bug which logs a traceback
(test_fuzz.py's ``TestKnownBugs``), starts its own SAIO here, in a
temporary state directory, on the session SAIO's base port plus an offset
(or ``$S3MP_<NAME>_BASE_PORT``), and stops it by PID and wipes it after.
"""

import os
import re
import shutil
import tempfile

from test.saio import Saio
from test.functional.base import saio
from test.functional.conftest import TEST_S3API_OPTIONS, \
    proxy_log_problems
from test.functional.rawhttp import SignedClient


def start(name, offset, saio_options=None, **s3api_options):
    """Start a SAIO named ``name``; :returns: the running :class:`Saio`.

    :param offset: from the session SAIO's base port (each SAIO uses 20)
    :param saio_options: more :class:`Saio` arguments, e.g.
        ``{'replicas': 3, 'object_servers_per_device': True}``
    :param s3api_options: more ``[filter:s3api]`` options of both proxies
    """
    env_name = 'S3MP_%s_BASE_PORT' % name.upper()
    port = int(os.environ.get(env_name) or
               saio().config.base_port + offset)
    state_dir = tempfile.mkdtemp(prefix='s3mp-%s-' % name)
    options = dict(TEST_S3API_OPTIONS, **s3api_options)
    extra = Saio(state_dir, base_port=port, s3api_options=options,
                 **(saio_options or {}))
    try:
        extra.start()
    except BaseException:
        shutil.rmtree(state_dir, ignore_errors=True)
        raise
    return extra


def stop(extra):
    """Stop what :func:`start` started (by PID), remove its data."""
    extra.stop()
    extra.wipe()
    shutil.rmtree(extra.state_dir, ignore_errors=True)


def signed_client(extra, user='test:tester', proxy='ours'):
    """A :class:`SignedClient` of ``user`` on a proxy of ``extra``."""
    env = extra.env()
    endpoint = env['endpoint'] if proxy == 'ours' else env['stock_endpoint']
    return SignedClient(endpoint, user, env['users'][user], env['region'])


def module_saio(name, offset, saio_options=None, expected_log=None,
                **s3api_options):
    """
    A SAIO for the tests of one module (or class) instead of the session
    SAIO: :func:`start` it, point ``SAIO_STATE_DIR`` (which
    :mod:`test.functional.base` reads) at it, and on the way out restore
    the session SAIO, check the proxy log as conftest does, and stop it.

    :param expected_log: a regular expression of proxy log lines the tests
        there expect
    :returns: (setup, teardown): setUpModule and tearDownModule of a
        module (or the bodies of setUpClass/tearDownClass).
    """
    started = []

    def setup():
        extra = start(name, offset, saio_options=saio_options,
                      **s3api_options)
        started.append((extra, os.environ['SAIO_STATE_DIR']))
        os.environ['SAIO_STATE_DIR'] = extra.state_dir

    def teardown():
        if not started:
            return
        extra, previous = started.pop()
        os.environ['SAIO_STATE_DIR'] = previous
        problems = [line for line in proxy_log_problems(extra.proxy_log)
                    if not (expected_log and re.search(expected_log, line))]
        stop(extra)
        if problems:
            raise AssertionError('the %s SAIO\'s proxy logged:\n%s' % (
                name, '\n'.join(problems[:20])))

    return setup, teardown


def stock_layout(offset=260):
    """:func:`module_saio` of a SAIO whose proxies (ours and stock) begin
    uploads of s3api's layout (``upload_layout = stock``), for the tests
    of that layout: the first phase of a rolling upgrade, and the uploads
    a stock proxy began."""
    return module_saio('stocklayout', offset, upload_layout='stock')
