"""StatsD metrics of the multipart operations (swift3_multipart.metrics)."""

import unittest
from types import SimpleNamespace
from unittest import mock

from swift.common.middleware.s3api.s3response import NoSuchUpload

from swift3_multipart import metrics
from test.unit.our_layout import OurLayoutTestCase, ABORT_RECORD, OUR_ID, \
    RECORD, attempt_path, attempt_row
from test.unit.base import SEGMENTS


def request(method, params, obj=True, headers=None):
    return SimpleNamespace(method=method, params=params,
                           is_object_request=obj, is_bucket_request=not obj,
                           headers=headers or {})


class TestOperation(unittest.TestCase):
    def test_every_operation_and_none_else(self):
        copy = {'X-Amz-Copy-Source': '/b/k'}
        for req, expected in (
                (request('POST', {'uploads': ''}), 'create'),
                (request('PUT', {'partNumber': '1', 'uploadId': 'u'}),
                 'upload_part'),
                (request('PUT', {'partNumber': '1', 'uploadId': 'u'},
                         headers=copy), 'upload_part_copy'),
                (request('POST', {'uploadId': 'u'}), 'complete'),
                (request('DELETE', {'uploadId': 'u'}), 'abort'),
                (request('GET', {'uploadId': 'u'}), 'list_parts'),
                (request('GET', {'uploads': ''}, obj=False), 'list_uploads'),
                # not multipart operations
                (request('PUT', {}), None),
                (request('PUT', {}, headers=copy), None),
                (request('GET', {}), None),
                (request('GET', {}, obj=False), None),
                (request('POST', {'uploads': ''}, obj=False), None),
                (request('HEAD', {'uploadId': 'u'}), None)):
            with self.subTest(method=req.method, params=req.params):
                self.assertEqual(expected, metrics.operation(req))

    def test_timed(self):
        logger = mock.Mock()
        ok = SimpleNamespace(status_int=204)
        abort = request('DELETE', {'uploadId': 'u'})
        self.assertIs(ok, metrics.timed(logger, abort, lambda req: ok))

        def refuse(req):
            raise NoSuchUpload(upload_id='u')

        with self.assertRaises(NoSuchUpload):
            metrics.timed(logger, abort, refuse)

        def fail(req):
            raise ValueError('bug')

        with self.assertRaises(ValueError):
            metrics.timed(logger, abort, fail)
        self.assertEqual([mock.call('mpu.abort.2xx'),
                          mock.call('mpu.abort.4xx'),
                          mock.call('mpu.abort.5xx')],
                         logger.increment.call_args_list)
        self.assertEqual(3, logger.timing_since.call_count)
        self.assertEqual('mpu.abort.timing',
                         logger.timing_since.call_args[0][0])
        # not an operation of ours: nothing
        logger.reset_mock()
        metrics.timed(logger, request('GET', {}), lambda req: ok)
        self.assertEqual([], logger.method_calls)

    def test_freed(self):
        logger = mock.Mock()
        metrics.freed(logger, 0, 0)
        self.assertEqual([], logger.method_calls)
        metrics.freed(logger, 3, 15)
        self.assertEqual([mock.call('mpu.cleanup.objects_freed', 3),
                          mock.call('mpu.cleanup.bytes_freed', 15)],
                         logger.update_stats.call_args_list)


class TestThroughTheFilter(OurLayoutTestCase):
    """The filter emits them, on s3api's logger."""

    def setUp(self):
        super().setUp()
        self.app.logger = self.logger = mock.Mock()

    def increments(self):
        return [c[0][0] for c in self.logger.increment.call_args_list]

    def test_create(self):
        self.swift.register('PUT', RECORD, 201)
        resp = self.call('POST', '/bucket/obj?uploads')
        self.assertEqual(200, resp.status_int, resp.body)
        self.assertIn('mpu.create.2xx', self.increments())
        self.assertEqual('mpu.create.timing',
                         self.logger.timing_since.call_args[0][0])

    def test_abort_counts_what_it_freed(self):
        self.swift.register_container(SEGMENTS, [
            attempt_row(1, 1, size=5), attempt_row(2, 2, size=7)])
        self.register_record()
        self.swift.register('DELETE', RECORD, 204)
        for number, n in ((1, 1), (2, 2)):
            self.swift.register('DELETE', attempt_path(number, n), 204)
        self.swift.register_stored(ABORT_RECORD)
        self.swift.register('HEAD', '/v1/AUTH_test/bucket/obj', 404)
        resp = self.call('DELETE', '/bucket/obj?uploadId=%s' % OUR_ID)
        self.assertEqual(204, resp.status_int, resp.body)
        self.assertIn('mpu.abort.2xx', self.increments())
        self.assertIn(mock.call('mpu.cleanup.objects_freed', 2),
                      self.logger.update_stats.call_args_list)
        self.assertIn(mock.call('mpu.cleanup.bytes_freed', 12),
                      self.logger.update_stats.call_args_list)
