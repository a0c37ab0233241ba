"""The ``s3api`` proxy filter with our multipart controllers.

Deployers replace ``use = egg:swift#s3api`` with
``use = egg:swift3_multipart#s3api`` in ``[filter:s3api]`` and keep every
other option. The filter is Swift's own :class:`S3ApiMiddleware`; only the
controller it picks for a request may be replaced, through the table in
:mod:`swift3_multipart.routing`. Requests the table does not map are handled
by upstream's controllers, untouched.

Options we add or give another default (all in ``[filter:s3api]``):

``max_upload_part_num``
    Defaults to S3's 10000 (upstream's default is 1000). The pipeline's SLO
    filter must allow as many segments (``[filter:slo]
    max_manifest_segments``); if it allows fewer, loading the pipeline fails
    with a message naming both options.
``min_segment_size``
    As upstream: 5 MiB, the minimum size of every part but the last.
"""

from swift.common.middleware.s3api import s3api as upstream
from swift.common.middleware.s3api.s3response import MethodNotAllowed
from swift.common.registry import get_swift_info

from swift3_multipart import routing

DEFAULT_MAX_UPLOAD_PART_NUM = 10000
DEFAULT_MIN_SEGMENT_SIZE = 5 * 1024 * 1024
# SLO's own default, used when we can find neither the filter nor its /info
SLO_DEFAULT_MAX_MANIFEST_SEGMENTS = 1000


def find_slo_max_segments(app):
    """
    Find how many segments the SLO filter below us accepts in a manifest.

    :param app: the next WSGI app of the pipeline.
    :returns: SLO's ``max_manifest_segments``, or None if there is no SLO.
    """
    seen = set()
    while app is not None and id(app) not in seen:
        seen.add(id(app))
        limit = getattr(app, 'max_manifest_segments', None)
        if isinstance(limit, int):
            return limit
        app = getattr(app, 'app', None)
    slo_info = get_swift_info().get('slo')
    if slo_info:
        return slo_info.get('max_manifest_segments',
                            SLO_DEFAULT_MAX_MANIFEST_SEGMENTS)
    return None


class MultipartS3ApiMiddleware(upstream.S3ApiMiddleware):
    """Swift's S3 API with our multipart controllers."""

    def __init__(self, app, wsgi_conf, *args, **kwargs):
        super().__init__(app, wsgi_conf, *args, **kwargs)
        slo_limit = find_slo_max_segments(app)
        if (self.conf.allow_multipart_uploads and slo_limit is not None
                and slo_limit < self.conf.max_upload_part_num):
            raise ValueError(
                '[filter:s3api] max_upload_part_num = %d but the pipeline\'s '
                'SLO accepts only %d segments per manifest: set '
                '[filter:slo] max_manifest_segments = %d (or lower '
                'max_upload_part_num)' % (
                    self.conf.max_upload_part_num, slo_limit,
                    self.conf.max_upload_part_num))

    def handle_request(self, req):
        # Same steps as upstream's handle_request, with the controller class
        # chosen once and passed through our table.
        controller_class = routing.controller_for(req.controller)
        controller = controller_class(self.app, self.conf, self.logger)
        req.set_acl_handler(controller_class.acl_handler(req, self.logger))

        handler = getattr(controller, req.method, None)
        if handler is None or not getattr(
                handler, 'publicly_accessible', False):
            raise MethodNotAllowed(req.method, controller_class.resource_type)
        res = handler(req)

        if req.policy_index is not None:
            res.headers.setdefault('X-Backend-Storage-Policy-Index',
                                   req.policy_index)
        return res


def filter_factory(global_conf, **local_conf):
    """paste.deploy entry point: ``use = egg:swift3_multipart#s3api``."""
    conf = global_conf.copy()
    conf.update(local_conf)
    # S3's limits, unless the operator says otherwise; upstream's factory
    # publishes them in /info under 's3api'.
    conf.setdefault('max_upload_part_num', str(DEFAULT_MAX_UPLOAD_PART_NUM))
    conf.setdefault('min_segment_size', str(DEFAULT_MIN_SEGMENT_SIZE))
    # registers the 's3api' /info section and the sensitive headers
    upstream.filter_factory({}, **conf)

    def multipart_filter(app):
        return MultipartS3ApiMiddleware(
            upstream.ListingEtagMiddleware(app), conf)

    return multipart_filter
