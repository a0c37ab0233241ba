"""Start the SAIO the functional tests run against, and stop it after.

If ``SAIO_STATE_DIR`` names a running SAIO, that one is used and left
running; else a SAIO is written to a temporary directory (devices on tmpfs),
started here and stopped (by PID) and wiped at the end of the session.
"""

import os
import shutil
import tempfile

from swift3_multipart.saio import Saio

# what the functional tests expect of the proxies' [filter:s3api]
TEST_S3API_OPTIONS = {
    # small parts, so that 10,000 of them fit in a test
    'min_segment_size': '1024',
    'max_upload_part_num': '10000',
}
FUNC_BASE_PORT = 18180
_started = []


def pytest_sessionstart(session):
    state_dir = os.environ.get('SAIO_STATE_DIR')
    if state_dir and Saio.load(state_dir).is_running():
        return
    state_dir = tempfile.mkdtemp(prefix='s3mp-func-')
    saio = Saio(state_dir, base_port=int(os.environ.get(
        'SAIO_BASE_PORT', FUNC_BASE_PORT)), s3api_options=TEST_S3API_OPTIONS)
    _started.append(saio)
    saio.start()
    os.environ['SAIO_STATE_DIR'] = state_dir


def pytest_sessionfinish(session, exitstatus):
    for saio in _started:
        saio.stop()
        saio.wipe()
        shutil.rmtree(saio.state_dir, ignore_errors=True)
