"""
StatsD metrics of the multipart operations.

They go through s3api's logger, that is Swift's own StatsD client: the
proxy's ``log_statsd_host``, ``log_statsd_port``,
``log_statsd_metric_prefix``... options (in ``[DEFAULT]`` or
``[filter:s3api]``) turn them on, and every name starts with ``s3api.``
(after the operator's prefix, if any). Per operation (``create``,
``upload_part``, ``upload_part_copy``, ``complete``, ``abort``,
``list_parts``, ``list_uploads``):

* ``s3api.mpu.<operation>.<status class>``: a counter per answer, the
  class being ``2xx``, ``3xx``, ``4xx`` or ``5xx``;
* ``s3api.mpu.<operation>.timing``: a timing, in ms, from the request to
  its answer's status (a Complete's heartbeat body comes after).

And:

* ``s3api.mpu.complete.parts``: a counter of the parts Complete was sent
  (with ``complete.2xx``, the mean part count);
* ``s3api.mpu.cleanup.objects_freed`` and ``s3api.mpu.cleanup.bytes_freed``:
  counters of the part objects (and their bytes, where the clean-up read
  them) that Abort, Complete, PutObject, CopyObject and DeleteBucket
  deleted.

The older counters stay: ``s3api.mpu.create``, ``s3api.mpu.abort``,
``s3api.mpu.complete.success``/``error``/``aborted``,
``s3api.mpu.lifecycle.put``, and the tasks' ``s3api.mpu.lifecycle.queued``
/ ``queue_error`` (Create's abort tasks) and ``s3api.mpu.sweep.*``
(Complete's sweeps).
"""

import time

CREATE = 'create'
UPLOAD_PART = 'upload_part'
UPLOAD_PART_COPY = 'upload_part_copy'
COMPLETE = 'complete'
ABORT = 'abort'
LIST_PARTS = 'list_parts'
LIST_UPLOADS = 'list_uploads'


def operation(req):
    """The multipart operation an S3 request is, or None."""
    params = req.params
    if req.is_object_request:
        if 'uploads' in params and req.method == 'POST':
            return CREATE
        if 'uploadId' not in params:
            return None
        if req.method == 'PUT' and 'partNumber' in params:
            if 'X-Amz-Copy-Source' in req.headers:
                return UPLOAD_PART_COPY
            return UPLOAD_PART
        return {'POST': COMPLETE, 'DELETE': ABORT,
                'GET': LIST_PARTS}.get(req.method)
    if req.is_bucket_request and 'uploads' in params and \
            req.method == 'GET':
        return LIST_UPLOADS
    return None


def answered(logger, name, status, started):
    """Count one answer of operation ``name`` and time it."""
    logger.increment('mpu.%s.%dxx' % (name, status // 100))
    logger.timing_since('mpu.%s.timing' % name, started)


def timed(logger, req, handle):
    """
    ``handle(req)``, with the metrics of its operation (if it is one).
    An error response raised counts with its status; any other exception
    as a 5xx (s3api answers InternalError).
    """
    name = operation(req)
    if name is None:
        return handle(req)
    started = time.time()
    try:
        resp = handle(req)
    except Exception as err:
        answered(logger, name, getattr(err, 'status_int', 500), started)
        raise
    answered(logger, name, resp.status_int, started)
    return resp


def parts_completed(logger, count):
    logger.update_stats('mpu.complete.parts', count)


def freed(logger, objects, size=None):
    """Count part objects deleted by a clean-up (and their bytes, if
    known)."""
    if objects:
        logger.update_stats('mpu.cleanup.objects_freed', objects)
    if size:
        logger.update_stats('mpu.cleanup.bytes_freed', size)
