"""The SAIO's slow-to-commit object server (test.saio.slowcommit)
and its configuration."""

import os
import shutil
import tempfile
import unittest
from unittest import mock

from swift.common import swob
from swift.common.utils import Timestamp

from test.saio import slowcommit
from test.saio.config import SaioConfig, SLOW_OBJECT_SERVER


class TestSlowCommit(unittest.TestCase):
    def setUp(self):
        self.devices = tempfile.mkdtemp()
        os.mkdir(os.path.join(self.devices, 'sdb1'))
        self.addCleanup(shutil.rmtree, self.devices)

    def app(self, delay):
        return slowcommit.app_factory(
            {}, devices=self.devices, mount_check='false',
            commit_delay=str(delay))

    def request(self, app, method, body=None):
        headers = {'X-Timestamp': Timestamp.now().internal}
        if method == 'PUT':
            headers.update({'Content-Type': 'text/plain',
                            'Content-Length': str(len(body))})
        req = swob.Request.blank('/sdb1/0/a/c/o', method=method,
                                 headers=headers, body=body)
        return req.get_response(app)

    def test_put_waits_between_body_and_commit(self):
        app = self.app(0.5)
        seen = []

        def sleep(seconds):
            # the body is in; the object is not there yet
            if seconds:
                seen.append((seconds, self.request(app, 'GET').status_int))
        with mock.patch.object(slowcommit.eventlet, 'sleep', sleep):
            resp = self.request(app, 'PUT', b'data')
        self.assertEqual(201, resp.status_int)
        self.assertEqual([(0.5, 404)], seen)
        got = self.request(app, 'GET')
        self.assertEqual((200, b'data'), (got.status_int, got.body))

    def test_no_delay_no_wait(self):
        app = self.app(0)
        with mock.patch.object(slowcommit.eventlet, 'sleep') as sleep:
            self.assertEqual(201, self.request(app, 'PUT', b'x').status_int)
        # (Swift's own cooperative sleep(0) calls aside)
        self.assertEqual([], [c for c in sleep.call_args_list if c.args[0]])

    def test_negative(self):
        with self.assertRaises(ValueError):
            self.app(-1)


class TestConfig(unittest.TestCase):
    def conf(self, **kwargs):
        return SaioConfig('/tmp/s3mp-unit', **kwargs).backend_conf('object')

    def test_delay(self):
        conf = self.conf(commit_delay=0.3)
        self.assertIn('paste.app_factory = %s' % SLOW_OBJECT_SERVER, conf)
        self.assertIn('commit_delay = 0.3', conf)
        self.assertNotIn('egg:swift#object', conf)

    def test_none(self):
        conf = self.conf()
        self.assertIn('use = egg:swift#object', conf)
        self.assertNotIn('commit_delay', conf)

    def test_only_object_servers(self):
        conf = SaioConfig('/tmp/s3mp-unit', commit_delay=1).backend_conf(
            'container')
        self.assertNotIn('commit_delay', conf)

    def test_negative(self):
        with self.assertRaises(ValueError):
            self.conf(commit_delay=-0.1)
