"""Which controller handles a request, with and without patches/0001.

On a Swift carrying the patch our middleware fills upstream's
``controller_overrides`` and upstream's ``handle_request`` routes; on any
other Swift our own ``handle_request`` does. ``patches/queue check`` runs
test/unit with the patched copy of Swift first on ``PYTHONPATH``.
"""

import os
import unittest
from unittest import mock

import swift
from swift.common.middleware.s3api import controllers as upstream
from swift.common.middleware.s3api import s3api, s3request
from swift.common.middleware.s3api.controllers.base import Controller
from swift.common.middleware.s3api.s3response import MethodNotAllowed

from swift3_multipart import routing
from swift3_multipart.controllers.bucket import BucketController
from swift3_multipart.controllers.obj import ObjectController
from swift3_multipart.controllers.part import PartController
from swift3_multipart.controllers.upload import UploadController
from swift3_multipart.controllers.uploads import UploadsController
from swift3_multipart.middleware import filter_factory
from test.unit.helpers import FakeSwift, FakeAuth, s3_request

# set by patches/queue check to the patched copy's swift/ directory
PATCHED_SWIFT = os.environ.get('SWIFT3_MULTIPART_PATCHED_SWIFT')

ROUTES = [
    ('POST', '/bucket/obj?uploads', UploadsController),     # Create
    ('PUT', '/bucket/obj?partNumber=1&uploadId=X', PartController),
    ('GET', '/bucket/obj?uploadId=X', UploadController),    # ListParts
    ('POST', '/bucket/obj?uploadId=X', UploadController),   # Complete
    ('DELETE', '/bucket/obj?uploadId=X', UploadController),  # Abort
    ('GET', '/bucket?uploads', UploadsController),          # ListUploads
    # objects: our subclass of upstream's (GetObjectAttributes)
    ('GET', '/bucket/obj?partNumber=1', ObjectController),
    ('GET', '/bucket/obj?attributes', ObjectController),
    ('GET', '/bucket/obj', ObjectController),
    # buckets: our subclass of upstream's (lifecycle configuration)
    ('GET', '/bucket', BucketController),
    ('PUT', '/bucket?lifecycle', BucketController),
    ('GET', '/bucket?lifecycle', BucketController),
    ('DELETE', '/bucket?lifecycle', BucketController),
    # not ours: upstream's
    ('GET', '/bucket?versioning', upstream.VersioningController),
    ('GET', '/bucket/obj?acl', upstream.AclController),
]


class Routed(Exception):
    """Raised by the controller a request reaches, instead of handling it."""


def stop(controller, *args, **kwargs):
    raise Routed(type(controller))


def make_request(app, method, path):
    """:returns: the S3Request ``app`` makes of a signed request."""
    env = s3_request(method, path).environ
    return s3request.get_request_class(env, app.conf.s3_acl)(
        env, app.app, app.conf)


def routed_class(app, method, path):
    """:returns: the controller class ``app`` makes for the request."""
    req = make_request(app, method, path)
    # every controller we route to keeps upstream's Controller.__init__
    with mock.patch.object(Controller, '__init__', stop):
        try:
            app.handle_request(req)
        except Routed as routed:
            return routed.args[0]
    raise AssertionError('%s %s reached no controller' % (method, path))


class TestHook(unittest.TestCase):
    def setUp(self):
        self.app = filter_factory({})(FakeAuth(FakeSwift()))

    def assertRoutes(self, app):
        for method, path, controller_class in ROUTES:
            with self.subTest(method=method, path=path):
                self.assertIs(controller_class,
                              routed_class(app, method, path))

    def test_swift_in_use(self):
        if PATCHED_SWIFT:
            self.assertEqual(os.path.join(PATCHED_SWIFT, '__init__.py'),
                             swift.__file__)
            self.assertTrue(self.app.uses_controller_overrides)
            self.assertEqual(routing.OVERRIDES, self.app.controller_overrides)
        else:
            self.assertFalse(
                self.app.uses_controller_overrides,
                'this Swift (%s) has controller_overrides: run test/unit '
                'through patches/queue check' % swift.__file__)

    def test_routes(self):
        # with the hook on the patched copy, else the fallback
        self.assertRoutes(self.app)

    def test_routes_fallback(self):
        # our handle_request, even on a Swift that has the hook
        self.app.uses_controller_overrides = False
        self.assertRoutes(self.app)

    def test_method_not_allowed(self):
        # the class that handles the request names the resource
        for hook in (self.app.uses_controller_overrides, False):
            self.app.uses_controller_overrides = hook
            req = make_request(self.app, 'PUT', '/bucket/obj?uploadId=X')
            with self.subTest(hook=hook):
                with self.assertRaises(MethodNotAllowed) as caught:
                    self.app.handle_request(req)
                self.assertEqual({'method': 'PUT', 'resource_type': 'UPLOAD'},
                                 caught.exception.info)

    @unittest.skipUnless(PATCHED_SWIFT, 'run by patches/queue check')
    def test_routes_patched_upstream(self):
        # upstream's handle_request does the lookup, not ours
        with mock.patch.object(routing, 'controller_for',
                               side_effect=AssertionError('ours used')):
            self.assertRoutes(self.app)

    def test_hook_stand_in(self):
        # upstream's __init__ as patches/0001 makes it, on any Swift
        upstream_init = s3api.S3ApiMiddleware.__init__

        def patched_init(middleware, *args, **kwargs):
            upstream_init(middleware, *args, **kwargs)
            middleware.controller_overrides = {}

        with mock.patch.object(s3api.S3ApiMiddleware, '__init__',
                               patched_init):
            app = filter_factory({})(FakeAuth(FakeSwift()))
        self.assertTrue(app.uses_controller_overrides)
        self.assertEqual(routing.OVERRIDES, app.controller_overrides)
        self.assertIsNot(routing.OVERRIDES, app.controller_overrides)
        # (a request s3api built, of no multipart operation)
        req = mock.Mock(environ={}, params={}, is_object_request=False,
                        is_bucket_request=True, method='GET')
        with mock.patch.object(s3api.S3ApiMiddleware, 'handle_request',
                               return_value='upstream answer') as handle:
            self.assertEqual('upstream answer', app.handle_request(req))
        handle.assert_called_once_with(req)
