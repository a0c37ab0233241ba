"""A test case with our filter over the strict fake Swift."""

import unittest
from unittest import mock
from urllib.parse import quote

from swift.common.middleware.s3api.etree import fromstring

from swift3_multipart.middleware import filter_factory
from test.unit.helpers import FakeSwift, FakeAuth, s3_request

UPLOAD_ID = 'VXBsb2FkLWlkLTAwMDE='
ACCOUNT = '/v1/AUTH_test'
BUCKET = ACCOUNT + '/bucket'
SEGMENTS = ACCOUNT + '/bucket+segments'
OBJ = BUCKET + '/obj'
# the index of uploads of our layout
INDEX = ACCOUNT + '/\x00s3mpu\x00bucket'
MARKER = SEGMENTS + '/obj/' + UPLOAD_ID
PARTS_LISTING = SEGMENTS + '?format=json&prefix=%s' % quote(
    'obj/%s/' % UPLOAD_ID)
# CompleteMultipartUpload's fence against UploadParts in flight: "part 0"
FENCE = MARKER + '/0'
# what Complete and PutObject ask of the object they replace: is there a
# segments container at all, and is the object a multipart upload's?
PREVIOUS_OBJECT_CALLS = [('HEAD', SEGMENTS), ('HEAD', OBJ)]
# what s3api asks before any bucket operation
AUTH_CALLS = [
    ('TEST', ACCOUNT),   # authenticate
    ('HEAD', ACCOUNT),   # get_container_info checks the account first
    ('HEAD', BUCKET),    # check_container_existence
]


def part_path(number):
    return '%s/%d' % (MARKER, number)


def listing_page(rows, marker=None):
    path = PARTS_LISTING
    if marker:
        path = SEGMENTS + '?format=json&marker=%s&prefix=%s' % (
            quote(marker), quote('obj/%s/' % UPLOAD_ID))
    return path, rows


def part_row(number, etag, size, last_modified='2026-11-21T10:00:00.000000'):
    return {'name': 'obj/%s/%d' % (UPLOAD_ID, number), 'hash': etag,
            'bytes': size, 'last_modified': last_modified,
            'content_type': 'application/octet-stream'}


class MultipartTestCase(unittest.TestCase):
    conf = {}

    def setUp(self):
        self.swift = FakeSwift()
        self.swift.register('TEST', ACCOUNT, 204)
        self.swift.register('HEAD', ACCOUNT, 204)
        self.swift.register('HEAD', BUCKET, 204,
                            {'X-Backend-Storage-Policy-Index': '0'})
        # by default the key has no object yet (see PREVIOUS_OBJECT_CALLS)
        self.swift.register('HEAD', SEGMENTS, 204)
        self.swift.register('HEAD', OBJ, 404)
        # no uploads of our layout (ListMultipartUploads reads its index)
        self.swift.register_container(INDEX, [])
        # Complete raises its fence, and takes it down after
        self.swift.register_stored(FENCE)
        # uploads of the stock layout, and no settle time, unless a test
        # case asks for others (test.unit.our_layout)
        conf = dict({'complete_fence_settle': '0', 'upload_layout': 'stock'},
                    **dict(self.conf))
        self.app = filter_factory({}, **conf)(FakeAuth(self.swift))
        patcher = mock.patch(
            'swift3_multipart.controllers.uploads.unique_id',
            return_value=UPLOAD_ID)
        patcher.start()
        self.addCleanup(patcher.stop)

    def tearDown(self):
        self.assertEqual([], self.swift.unexpected)

    def call(self, method, path, body=b'', headers=None, user='test:tester'):
        resp = s3_request(method, path, body, headers, user).get_response(
            self.app)
        resp.body  # read it all, as a client would
        return resp

    def sent(self, method, path):
        """(headers, body) of the backend request ``method path``."""
        index = self.swift.calls.index((method, path))
        return self.swift.headers[index], self.swift.bodies[index]

    def methods_besides_fence(self):
        """Methods of the backend requests, but Complete's fence."""
        return [m for m, path in self.swift.calls if path != FENCE]

    def assertFenceDown(self):
        """Every fence Complete raised was taken down."""
        self.assertEqual(self.swift.calls.count(('PUT', FENCE)),
                         self.swift.calls.count(('DELETE', FENCE)))

    def assertS3Error(self, resp, status, code):
        self.assertEqual(status, resp.status_int, resp.body)
        self.assertEqual(code, fromstring(resp.body, 'Error').find(
            './Code').text)

    def register_marker(self, headers=None):
        hdrs = {'Content-Type': 'application/directory',
                'X-Backend-Timestamp': '1700000000.00000'}
        hdrs.update(headers or {})
        self.swift.register('HEAD', MARKER, 200, hdrs)
