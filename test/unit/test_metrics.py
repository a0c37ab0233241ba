"""StatsD metrics of the multipart operations (swift3_multipart.metrics)."""

import unittest
from types import SimpleNamespace
from unittest import mock

from swift.common.middleware.s3api.s3response import NoSuchUpload

from swift3_multipart import metrics
from test.unit.our_layout import OUR_ID, RECORD, ETAG, attempt_path
from test.unit.test_our_layout import QueueTestCase, FREE_TASK


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


class TestThroughTheFilter(QueueTestCase):
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

    def test_abort_counts_the_abort_and_its_task(self):
        # it frees nothing (the reaper does, for the task): no
        # mpu.cleanup.* stats
        self.register_record()
        self.swift.register('DELETE', RECORD, 204)
        resp = self.call('DELETE', '/bucket/obj?uploadId=%s' % OUR_ID)
        self.assertEqual(204, resp.status_int, resp.body)
        self.assertEqual(['mpu.free.queued', 'mpu.abort', 'mpu.abort.2xx'],
                         self.increments())
        self.assertEqual([], self.logger.update_stats.call_args_list)
        self.assertEqual('mpu.abort.timing',
                         self.logger.timing_since.call_args[0][0])

    def test_abort_of_no_upload(self):
        self.swift.register('HEAD', RECORD, 404)
        resp = self.call('DELETE', '/bucket/obj?uploadId=%s' % OUR_ID)
        self.assertS3Error(resp, 404, 'NoSuchUpload')
        # (and s3api's own count of the error)
        self.assertEqual(['mpu.abort.4xx', '404.NoSuchUpload'],
                         self.increments())

    def test_queue_error(self):
        self.register_record()
        self.swift.register('DELETE', RECORD, 204)
        self.swift.register('PUT', FREE_TASK, 503)
        resp = self.call('DELETE', '/bucket/obj?uploadId=%s' % OUR_ID)
        self.assertEqual(204, resp.status_int, resp.body)
        self.assertEqual(['mpu.free.queue_error', 'mpu.abort',
                          'mpu.abort.2xx'], self.increments())
        self.assertEqual(1, self.logger.error.call_count)
        message, *args = self.logger.error.call_args[0]
        self.assertIn('could not queue its free task',
                      message % tuple(args))

    def test_upload_part_after_the_end_queues(self):
        self.swift.register('PUT', attempt_path(1), 201, {'Etag': ETAG})
        self.swift.register('HEAD', RECORD, 404)
        resp = self.call('PUT', '/bucket/obj?partNumber=1&uploadId=%s'
                         % OUR_ID, body=b'a')
        self.assertS3Error(resp, 404, 'NoSuchUpload')
        self.assertEqual(['mpu.free.queued', 'mpu.upload_part.4xx',
                          '404.NoSuchUpload'], self.increments())
        self.assertEqual([], self.logger.update_stats.call_args_list)
