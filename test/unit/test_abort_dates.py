"""x-amz-abort-date on CreateMultipartUpload and ListParts, and the abort
task Create queues.

https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateMultipartUpload.html
https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListParts.html
"""

import json
from datetime import datetime, timezone
from unittest import mock

from swift3_multipart import tasks
from swift3_multipart.controllers import expiring
from test.unit.base import MultipartTestCase, AUTH_CALLS, BUCKET, \
    SEGMENTS, MARKER, UPLOAD_ID


def epoch(*args):
    return int(datetime(*args, tzinfo=timezone.utc).timestamp())


INITIATED = epoch(2026, 11, 21, 10, 30)
DUE = epoch(2026, 11, 29)          # 7 days, then the next midnight UTC
TASKS = '/v1/.s3api_mpu_expiring'
TASK_NAME = tasks.task_name(DUE, 'AUTH_test', 'bucket', UPLOAD_ID)
TASK_CONTAINER = TASKS + '/' + tasks.task_container(TASK_NAME, DUE)
TASK = TASK_CONTAINER + '/' + TASK_NAME
RULE = {'X-Container-Sysmeta-S3api-Lifecycle': '[["week","empty","",1,7]]',
        'X-Backend-Storage-Policy-Index': '0'}


class TestCreate(MultipartTestCase):
    def setUp(self):
        super().setUp()
        self.swift.register('HEAD', SEGMENTS, 204)
        self.swift.register('PUT', MARKER, 201)
        clock = mock.patch.object(expiring, 'time')
        clock.start().time.return_value = INITIATED + 0.5
        self.addCleanup(clock.stop)

    def create(self):
        resp = self.call('POST', '/bucket/obj?uploads')
        self.assertEqual(200, resp.status_int, resp.body)
        return resp

    def test_rule_applies(self):
        self.swift.register('HEAD', BUCKET, 204, RULE)
        self.swift.register('PUT', TASK, 201)
        resp = self.create()
        self.assertEqual('Sun, 29 Nov 2026 00:00:00 GMT',
                         resp.headers['x-amz-abort-date'])
        self.assertEqual('week', resp.headers['x-amz-abort-rule-id'])
        self.assertEqual(AUTH_CALLS + [
            ('HEAD', SEGMENTS),
            ('PUT', TASK),        # queued before the marker exists
            ('PUT', MARKER),
        ], self.swift.calls)
        headers, body = self.sent('PUT', TASK)
        self.assertEqual('application/json', headers['Content-Type'])
        self.assertEqual({'key': 'obj', 'default_days': 0, 'max_days': 0},
                         json.loads(body))

    def test_first_task_of_its_container(self):
        self.swift.register('HEAD', BUCKET, 204, RULE)
        self.swift.register('PUT', TASK, 404)
        self.swift.register('PUT', TASK_CONTAINER, 201)
        self.create()
        self.assertEqual(AUTH_CALLS + [
            ('HEAD', SEGMENTS),
            ('PUT', TASK),            # no container yet
            ('PUT', TASK_CONTAINER),  # made on demand
            ('PUT', TASK),
            ('PUT', MARKER),
        ], self.swift.calls)

    def test_queue_failure_logged_upload_created(self):
        self.swift.register('HEAD', BUCKET, 204, RULE)
        self.swift.register('PUT', TASK, 503)
        with mock.patch.object(self.app.logger, 'error') as error:
            resp = self.create()
        self.assertIn('x-amz-abort-date', resp.headers)
        self.assertIn(('PUT', MARKER), self.swift.calls)
        self.assertEqual(UPLOAD_ID, error.call_args[0][1])

    def test_no_rule_no_header_no_task(self):
        resp = self.create()
        self.assertNotIn('x-amz-abort-date', resp.headers)
        self.assertNotIn('x-amz-abort-rule-id', resp.headers)
        self.assertEqual(AUTH_CALLS + [('HEAD', SEGMENTS), ('PUT', MARKER)],
                         self.swift.calls)

    def test_cluster_default(self):
        self.app.conf.abort_incomplete_days_default = 3
        self.app.conf.abort_incomplete_days_max = 30
        task = TASKS + '/%s/%s' % (tasks.task_container(
            tasks.task_name(epoch(2026, 11, 25), 'AUTH_test', 'bucket',
                            UPLOAD_ID), epoch(2026, 11, 25)),
            tasks.task_name(epoch(2026, 11, 25), 'AUTH_test', 'bucket',
                            UPLOAD_ID))
        self.swift.register('PUT', task, 201)
        resp = self.create()
        self.assertEqual('Wed, 25 Nov 2026 00:00:00 GMT',
                         resp.headers['x-amz-abort-date'])
        self.assertEqual('cluster-policy', resp.headers['x-amz-abort-rule-id'])
        # the policy goes with the task: the reaper judges with it
        self.assertEqual({'key': 'obj', 'default_days': 3, 'max_days': 30},
                         json.loads(self.sent('PUT', task)[1]))


class TestListParts(MultipartTestCase):
    def list_parts(self):
        self.register_marker({'X-Backend-Timestamp': '%d.00000' % INITIATED})
        # no parts: ListParts reads a window of an empty listing
        self.swift.register_container(SEGMENTS, [])
        resp = self.call('GET', '/bucket/obj?uploadId=%s' % UPLOAD_ID)
        self.assertEqual(200, resp.status_int, resp.body)
        return resp

    def test_rule_applies(self):
        self.swift.register('HEAD', BUCKET, 204, RULE)
        resp = self.list_parts()
        self.assertEqual('Sun, 29 Nov 2026 00:00:00 GMT',
                         resp.headers['x-amz-abort-date'])
        self.assertEqual('week', resp.headers['x-amz-abort-rule-id'])
        self.assertNotIn('PUT', [m for m, _ in self.swift.calls])

    def test_no_rule(self):
        resp = self.list_parts()
        self.assertNotIn('x-amz-abort-date', resp.headers)
        self.assertNotIn('x-amz-abort-rule-id', resp.headers)
