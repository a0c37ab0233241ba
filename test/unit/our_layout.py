"""A test case for uploads of our layout (``upload_layout = immutable``)."""

import json
from unittest import mock
from urllib.parse import quote

from swift3_multipart import layout
from test.unit.base import MultipartTestCase, SEGMENTS, INDEX

OUR_ID = '2.176472000000000' + '0123456789abcdef'
RECORD = INDEX + '/\x00obj\x00' + OUR_ID
ABORT_RECORD = SEGMENTS + '/obj/%s/00000/0' % OUR_ID
ETAG = '0cc175b9c0f1b6a831c399e269772661'


def attempt(number, n=1):
    """The n-th attempt name of part ``number`` (as new_attempt is
    patched to give them)."""
    return 'obj/%s/%05d/%021d' % (OUR_ID, number, n)


def attempt_path(number, n=1):
    return SEGMENTS + '/' + attempt(number, n)


def attempt_row(number, n=1, etag=ETAG, size=5,
                content_type='application/octet-stream'):
    return {'name': attempt(number, n), 'hash': etag, 'bytes': size,
            'last_modified': '2026-12-03T00:00:%02d.000000' % n,
            'content_type': content_type}


def manifest_body(*names):
    return json.dumps([{'name': '/bucket+segments/' + name, 'bytes': 5,
                        'hash': ETAG} for name in names]).encode('ascii')


class OurLayoutTestCase(MultipartTestCase):
    conf = {'upload_layout': 'immutable'}

    def setUp(self):
        super().setUp()
        self.attempts = iter(range(1, 100))
        for target, value in (
                ('new_upload_id', lambda now=None: OUR_ID),
                ('new_attempt',
                 lambda now=None: '%021d' % next(self.attempts))):
            patcher = mock.patch.object(layout, target, value)
            patcher.start()
            self.addCleanup(patcher.stop)
        self.swift.register_container(SEGMENTS, [])

    def attempts_listing(self, after_part=0, limit=10000, marker=None):
        return SEGMENTS + '?format=json&limit=%d&marker=%s&prefix=%s' % (
            limit, quote(marker or 'obj/%s/%05d/~' % (OUR_ID, after_part)),
            quote('obj/%s/' % OUR_ID))

    def register_record(self, headers=None):
        self.swift.register('HEAD', RECORD, 200, dict(
            {'Content-Type': 'application/x-directory'}, **(headers or {})))

    def writes(self):
        """The backend calls that change something."""
        return [c for c in self.swift.calls
                if c[0] in ('PUT', 'DELETE', 'POST')]

    def newest(self, method, path):
        """The X-Newest of the backend request ``method path``."""
        return self.sent(method, path)[0].get('X-Newest')
