"""The ``s3api`` proxy filter with our multipart controllers.

Deployers replace ``use = egg:swift#s3api`` with
``use = egg:swift3_multipart#s3api`` in ``[filter:s3api]`` and keep every
other option. The filter is Swift's own :class:`S3ApiMiddleware`; only the
controller it picks for a request may be replaced, through the table in
:mod:`swift3_multipart.routing`. Requests the table does not map are handled
by upstream's controllers, untouched. A Swift carrying ``patches/`` has
``S3ApiMiddleware.controller_overrides`` and we fill it with that table; on
any other Swift our ``handle_request`` does what upstream's does with the
table applied.

Options we add or give another default (all in ``[filter:s3api]``):

``max_upload_part_num``
    Defaults to S3's 10000 (upstream's default is 1000). The pipeline's SLO
    filter must allow as many segments (``[filter:slo]
    max_manifest_segments``); if it allows fewer, loading the pipeline fails
    with a message naming both options.
``min_segment_size``
    As upstream: 5 MiB, the minimum size of every part but the last.
``segment_delete_concurrency``
    Default 8: how many part deletions Abort, Complete (parts left out,
    superseded segments), overwrites and DeleteBucket run at once.
``complete_via_slo``
    Default false: Complete writes the SLO manifest itself, below SLO, from
    the parts it has already checked (see :mod:`swift3_multipart.manifest`).
    True: through SLO, which HEADs every segment again, as stock s3api.
``complete_fence_settle``
    Default 0.1: seconds Complete waits after fencing the upload against
    UploadParts in flight, before it reads the parts (see
    :mod:`swift3_multipart.controllers.fence`). 0 turns the wait off.
``upload_layout``
    Default ``immutable``: how the uploads that CreateMultipartUpload
    begins are stored (see :mod:`swift3_multipart.layout`): our layout,
    whose part attempts are never overwritten and whose uploads are
    indexed (no fence, no settle time). ``stock``: s3api's layout, which
    stock proxies also serve (the first phase of a rolling upgrade, see
    README). Uploads of either layout are served whatever this says.
``sweep_delay``
    Default 3600: seconds after a Complete of our layout that the reaper
    frees the attempts the part list left out (and older attempts of the
    parts it named); a task is queued only where there are any. Another
    Complete of the upload with other parts may still be in flight, and
    its manifest may name them (see README "Our layout"). 0 frees them in
    the Complete itself.
``list_stock_uploads``
    Default true: ListMultipartUploads also lists the uploads of the stock
    layout, from the markers in ``<bucket>+segments``, a listing that reads
    every segment of the bucket's completed objects on its way. Once no
    upload of the stock layout is left (``swift3-multipart-audit`` counts
    them), false lists the index of our layout alone: one page per page.
``abort_incomplete_days_default``
    Default 0 (none): days after which an upload that no enabled lifecycle
    rule of its bucket covers is aborted (see
    :mod:`swift3_multipart.lifecycle`).
``abort_incomplete_days_max``
    Default 0 (none): the most days a lifecycle rule may ask for; every
    upload is aborted after at most that many days.
"""

from swift.common.middleware.s3api import s3api as upstream
from swift.common.middleware.s3api.s3response import MethodNotAllowed
from swift.common.registry import register_swift_info
from swift.common.utils import config_true_value, \
    config_positive_int_value, non_negative_int, non_negative_float

from swift3_multipart import composite_checksum, layout, manifest, metrics, \
    mpu, routing

DEFAULT_MAX_UPLOAD_PART_NUM = mpu.S3_MAX_PARTS
DEFAULT_MIN_SEGMENT_SIZE = 5 * 1024 * 1024
DEFAULT_SEGMENT_DELETE_CONCURRENCY = 8
DEFAULT_COMPLETE_FENCE_SETTLE = 0.1
DEFAULT_ABORT_INCOMPLETE_DAYS_DEFAULT = 0
DEFAULT_ABORT_INCOMPLETE_DAYS_MAX = 0
DEFAULT_UPLOAD_LAYOUT = layout.IMMUTABLE
DEFAULT_LIST_STOCK_UPLOADS = True
DEFAULT_SWEEP_DELAY = 3600


class MultipartS3ApiMiddleware(upstream.S3ApiMiddleware):
    """Swift's S3 API with our multipart controllers."""

    def __init__(self, app, wsgi_conf, *args, **kwargs):
        super().__init__(app, wsgi_conf, *args, **kwargs)
        # patches/0001 gives upstream this table; detected per instance
        # because upstream sets it in __init__
        self.uses_controller_overrides = hasattr(self, 'controller_overrides')
        if self.uses_controller_overrides:
            self.controller_overrides.update(routing.OVERRIDES)
        self._abort_incomplete_days(wsgi_conf)
        slo = manifest.find_slo(app)
        # Complete writes manifests below SLO (see swift3_multipart.manifest)
        self.conf.complete_via_slo = config_true_value(
            wsgi_conf.get('complete_via_slo', False))
        # parts freed by Abort, Complete, overwrites and DeleteBucket
        self.conf.segment_delete_concurrency = config_positive_int_value(
            wsgi_conf.get('segment_delete_concurrency',
                          DEFAULT_SEGMENT_DELETE_CONCURRENCY))
        self.conf.complete_fence_settle = non_negative_float(
            wsgi_conf.get('complete_fence_settle',
                          DEFAULT_COMPLETE_FENCE_SETTLE))
        self.conf.sweep_delay = non_negative_float(
            wsgi_conf.get('sweep_delay', DEFAULT_SWEEP_DELAY))
        self.conf.upload_layout = wsgi_conf.get(
            'upload_layout', DEFAULT_UPLOAD_LAYOUT).strip().lower()
        if self.conf.upload_layout not in layout.LAYOUTS:
            raise ValueError(
                '[filter:s3api] upload_layout = %s: must be one of %s' % (
                    self.conf.upload_layout, ', '.join(layout.LAYOUTS)))
        self.conf.list_stock_uploads = config_true_value(wsgi_conf.get(
            'list_stock_uploads', DEFAULT_LIST_STOCK_UPLOADS))
        self.conf.slo_below = None if slo is None else slo.app
        self.conf.slo_max_manifest_size = None if slo is None else \
            slo.max_manifest_size
        if slo is None:
            # e.g. a middleware between us and SLO that hides its next app
            self.logger.warning('SLO not found below s3api: cannot check '
                                'max_manifest_segments at load time, and '
                                'Complete goes through SLO')
        elif (self.conf.allow_multipart_uploads and
                slo.max_manifest_segments < self.conf.max_upload_part_num):
            slo_limit = slo.max_manifest_segments
            raise ValueError(
                '[filter:s3api] max_upload_part_num = %d but the pipeline\'s '
                'SLO accepts only %d segments per manifest: set '
                '[filter:slo] max_manifest_segments = %d (or lower '
                'max_upload_part_num)' % (
                    self.conf.max_upload_part_num, slo_limit,
                    self.conf.max_upload_part_num))

    def _abort_incomplete_days(self, wsgi_conf):
        """The operator's policy on incomplete uploads (published in /info
        by :func:`filter_factory`)."""
        self.conf.abort_incomplete_days_default, \
            self.conf.abort_incomplete_days_max = abort_days_policy(
                wsgi_conf)

    def __call__(self, env, start_response):
        # a Complete's COMPOSITE checksum header: past s3api's value check
        composite_checksum.set_aside(env)
        return super().__call__(env, start_response)

    def handle_request(self, req):
        composite_checksum.put_back(req)
        # per multipart operation: answers by status class, latency
        return metrics.timed(self.logger, req, self._handle_request)

    def _handle_request(self, req):
        if self.uses_controller_overrides:
            return super().handle_request(req)
        # A Swift without patches/0001: the same steps as upstream's
        # handle_request, with the controller class chosen once and passed
        # through our table.
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


def abort_days_policy(conf):
    """
    (abort_incomplete_days_default, abort_incomplete_days_max) of the
    filter's options.

    :raises ValueError: a bad value, or a default above the maximum.
    """
    default = non_negative_int(conf.get(
        'abort_incomplete_days_default',
        DEFAULT_ABORT_INCOMPLETE_DAYS_DEFAULT))
    most = non_negative_int(conf.get(
        'abort_incomplete_days_max', DEFAULT_ABORT_INCOMPLETE_DAYS_MAX))
    if 0 < most < default:
        raise ValueError(
            '[filter:s3api] abort_incomplete_days_default = %d is more '
            'than abort_incomplete_days_max = %d' % (default, most))
    return default, most


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
    # ours, as Swift's middlewares do it: from the factory
    days_default, days_max = abort_days_policy(conf)
    register_swift_info('swift3_multipart',
                        abort_incomplete_days_default=days_default,
                        abort_incomplete_days_max=days_max)

    def multipart_filter(app):
        return MultipartS3ApiMiddleware(
            upstream.ListingEtagMiddleware(app), conf)

    return multipart_filter
