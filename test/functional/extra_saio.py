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
import shutil
import tempfile

from swift3_multipart.saio import Saio
from test.functional.base import saio
from test.functional.conftest import TEST_S3API_OPTIONS
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
