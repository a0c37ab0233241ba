"""Loading the filter, the routing table, and what importing changes."""

import importlib
import unittest

from swift.common.middleware.s3api import controllers as upstream
from swift.common.middleware import keystoneauth, slo
from swift.common.middleware.s3api import s3api, s3request, s3token
from swift.common.registry import get_swift_info

from swift3_multipart import middleware, routing
from swift3_multipart.controllers.bucket import BucketController
from swift3_multipart.controllers.obj import ObjectController
from swift3_multipart.controllers.part import PartController
from swift3_multipart.controllers.upload import UploadController
from swift3_multipart.controllers.uploads import UploadsController
from test.unit.helpers import FakeSwift, FakeAuth


def FakeSlo(app, max_manifest_segments):
    """Swift's SLO filter with this limit, over ``app``."""
    return slo.filter_factory(
        {}, max_manifest_segments=str(max_manifest_segments))(app)


class TestImport(unittest.TestCase):
    def test_import_changes_nothing_upstream(self):
        before = (s3request.S3Request.__dict__['controller'],
                  s3api.S3ApiMiddleware.handle_request,
                  s3api.filter_factory,
                  dict(vars(upstream)))
        import swift3_multipart.middleware
        importlib.reload(swift3_multipart.middleware)
        importlib.reload(routing)
        self.assertEqual(before, (
            s3request.S3Request.__dict__['controller'],
            s3api.S3ApiMiddleware.handle_request,
            s3api.filter_factory,
            dict(vars(upstream))))
        self.assertIs(upstream.PartController,
                      upstream.multi_upload.PartController)


class TestRouting(unittest.TestCase):
    def test_table_row_by_row(self):
        self.assertEqual({
            upstream.BucketController: BucketController,
            upstream.ObjectController: ObjectController,
            upstream.PartController: PartController,
            upstream.UploadController: UploadController,
            upstream.UploadsController: UploadsController,
        }, routing.OVERRIDES)
        for theirs, ours in routing.OVERRIDES.items():
            self.assertIs(ours, routing.controller_for(theirs))
            # the same handler, or one that only adds our layout to it
            self.assertTrue(issubclass(ours.acl_handler, theirs.acl_handler))
            self.assertEqual(theirs.resource_type, ours.resource_type)

    def test_unmapped_untouched(self):
        for cls in (upstream.ServiceController, upstream.VersioningController,
                    upstream.AclController, upstream.LocationController,
                    upstream.MultiObjectDeleteController):
            self.assertIs(cls, routing.controller_for(cls))

    def test_subclasses(self):
        self.assertTrue(issubclass(BucketController,
                                   upstream.BucketController))
        self.assertTrue(issubclass(ObjectController,
                                   upstream.ObjectController))
        self.assertTrue(issubclass(PartController, upstream.ObjectController))
        self.assertTrue(issubclass(UploadController, upstream.Controller))
        self.assertTrue(issubclass(UploadsController, upstream.Controller))


class TestFilterFactory(unittest.TestCase):
    def test_s3_defaults_published(self):
        middleware.filter_factory({})
        info = get_swift_info()['s3api']
        self.assertEqual(10000, info['max_upload_part_num'])
        self.assertEqual(5242880, info['min_segment_size'])

    def test_operator_values_kept(self):
        app = middleware.filter_factory(
            {}, max_upload_part_num='500', min_segment_size='1024',
            s3_acl='false')(FakeAuth(FakeSwift()))
        self.assertEqual(500, app.conf.max_upload_part_num)
        self.assertEqual(1024, app.conf.min_segment_size)
        self.assertEqual(500, get_swift_info()['s3api']['max_upload_part_num'])

    def test_slo_allows_fewer_segments_fails_at_load(self):
        factory = middleware.filter_factory({})
        with self.assertRaises(ValueError) as caught:
            factory(FakeAuth(FakeSlo(FakeSwift(), 1000)))
        msg = str(caught.exception)
        self.assertIn('max_manifest_segments = 10000', msg)
        self.assertIn('max_upload_part_num', msg)

    def test_slo_allows_enough(self):
        app = middleware.filter_factory({})(
            FakeAuth(FakeSlo(FakeSwift(), 10000)))
        self.assertEqual(10000, app.conf.max_upload_part_num)
        app = middleware.filter_factory({}, max_upload_part_num='1000')(
            FakeAuth(FakeSlo(FakeSwift(), 1000)))
        self.assertEqual(1000, app.conf.max_upload_part_num)

    def test_slo_found_below_keystone_filters(self):
        # s3api's docs' Keystone pipeline: s3api s3token keystoneauth ...
        # slo (s3token keeps its next app as _app)
        below = FakeSlo(FakeSwift(), 1000)
        pipeline = s3token.filter_factory(
            {'auth_uri': 'http://127.0.0.1:5000/v3'})(
            keystoneauth.filter_factory({})(below))
        with self.assertRaises(ValueError):
            middleware.filter_factory({})(pipeline)
        app = middleware.filter_factory({}, max_upload_part_num='1000')(
            pipeline)
        self.assertIs(below.app, app.conf.slo_below)

    def test_no_check_when_multipart_disabled(self):
        app = middleware.filter_factory(
            {}, allow_multipart_uploads='false')(
            FakeAuth(FakeSlo(FakeSwift(), 10)))
        self.assertFalse(app.conf.allow_multipart_uploads)

    def test_abort_incomplete_days_default_none(self):
        app = middleware.filter_factory({})(FakeAuth(FakeSwift()))
        self.assertEqual(0, app.conf.abort_incomplete_days_default)
        self.assertEqual(0, app.conf.abort_incomplete_days_max)
        self.assertEqual({'abort_incomplete_days_default': 0,
                          'abort_incomplete_days_max': 0},
                         get_swift_info()['swift3_multipart'])

    def test_abort_incomplete_days_published(self):
        app = middleware.filter_factory(
            {}, abort_incomplete_days_default='7',
            abort_incomplete_days_max='30')(FakeAuth(FakeSwift()))
        self.assertEqual(7, app.conf.abort_incomplete_days_default)
        self.assertEqual(30, app.conf.abort_incomplete_days_max)
        self.assertEqual({'abort_incomplete_days_default': 7,
                          'abort_incomplete_days_max': 30},
                         get_swift_info()['swift3_multipart'])

    def test_abort_incomplete_days_bad_values_fail_at_load(self):
        for conf in ({'abort_incomplete_days_default': '-1'},
                     {'abort_incomplete_days_max': 'x'},
                     # a default above the ceiling
                     {'abort_incomplete_days_default': '8',
                      'abort_incomplete_days_max': '7'}):
            with self.subTest(conf=conf):
                with self.assertRaises(ValueError):
                    middleware.filter_factory({}, **conf)(
                        FakeAuth(FakeSwift()))
        # a default and no ceiling is fine
        app = middleware.filter_factory(
            {}, abort_incomplete_days_default='8')(FakeAuth(FakeSwift()))
        self.assertEqual(8, app.conf.abort_incomplete_days_default)

    def test_upload_layout_default_ours(self):
        app = middleware.filter_factory({})(FakeAuth(FakeSwift()))
        self.assertEqual('immutable', app.conf.upload_layout)
        app = middleware.filter_factory({}, upload_layout=' Stock ')(
            FakeAuth(FakeSwift()))
        self.assertEqual('stock', app.conf.upload_layout)
        with self.assertRaises(ValueError):
            middleware.filter_factory({}, upload_layout='fenced')(
                FakeAuth(FakeSwift()))

    def test_is_upstream_middleware(self):
        app = middleware.filter_factory({})(FakeAuth(FakeSwift()))
        self.assertIsInstance(app, s3api.S3ApiMiddleware)
        self.assertIsInstance(app.app, s3api.ListingEtagMiddleware)
