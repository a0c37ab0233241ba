"""What lifecycle rules add to CreateMultipartUpload and ListParts.

Both answer ``x-amz-abort-date`` and ``x-amz-abort-rule-id`` when a rule of
the bucket (or the operator's policy) will abort the upload; Create also
queues the upload's abort task (see :mod:`swift3_multipart.tasks`) for the
reaper, with a pre-authorized request to the hidden task account: no user
can reach that account, and the task is ours, not the user's.

https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateMultipartUpload.html
https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListParts.html
"""

import time

from swift.common.http import is_success
from swift.common.swob import Request, str_to_wsgi, wsgi_quote, \
    wsgi_to_str
from swift.common.utils import drain_and_close
from swift.common.utils.timestamp import Timestamp
from swift.common.wsgi import make_pre_authed_env

from swift3_multipart import lifecycle, tasks
from swift3_multipart.controllers.common import key_of

SWIFT_SOURCE = 'S3MPU'


def created(req, app, conf, logger, upload_id):
    """
    CreateMultipartUpload: queue the upload's abort task if something will
    abort it.

    :returns: the abort headers of the answer ({} if nothing will).
    """
    abort = upload_abort(req, app, conf, time.time())
    if abort is None:
        return {}
    enqueue(req, app, conf, logger, upload_id, abort.epoch)
    return lifecycle.abort_headers(abort)


def sweep_later(req, app, conf, logger, upload_id):
    """
    A Complete of our layout left attempts out: queue the task that frees
    them, ``sweep_delay`` seconds from now. The reaper finds the upload
    gone then, and deletes the attempts that no manifest of the upload
    names (:func:`swift3_multipart.storage.sweep_upload`).

    :returns: True if the task was written.
    """
    return enqueue(req, app, conf, logger, upload_id,
                   int(time.time() + conf.sweep_delay), 'sweep')


def listed(req, app, conf, marker_resp, initiated=None):
    """
    ListParts: the abort headers of the answer ({} if none).

    :param initiated: when the upload began (a Timestamp), if not the
        marker's time.
    """
    if initiated is None:
        initiated = Timestamp(
            marker_resp.sw_headers.get('X-Backend-Timestamp') or
            marker_resp.sw_headers['X-Timestamp'])
    abort = upload_abort(req, app, conf, float(initiated))
    return lifecycle.abort_headers(abort) if abort else {}


def upload_abort(req, app, conf, initiated):
    """
    :param initiated: when the upload was created (seconds since the
        epoch).
    :returns: the :class:`lifecycle.Abort` of the request's key, or None.
    """
    # cached since check_container_existence: no backend request
    sysmeta = req.get_container_info(app).get('sysmeta', {})
    rules = lifecycle.from_sysmeta(sysmeta.get(lifecycle.LIFECYCLE_INFO_KEY))
    return lifecycle.abort_rule(
        rules, key_of(req), initiated, conf.abort_incomplete_days_default,
        conf.abort_incomplete_days_max)


def _task_request(req, app, path, body=None, headers=None):
    """A PUT of ``path`` (native string) in the task account."""
    path = str_to_wsgi(path)
    env = make_pre_authed_env(req.environ, 'PUT', path, query_string='',
                              swift_source=SWIFT_SOURCE)
    resp = Request.blank(wsgi_quote(path), environ=env, body=body,
                         headers=headers).get_response(app)
    drain_and_close(resp)
    return resp.status_int


def enqueue(req, app, conf, logger, upload_id, epoch, what='abort'):
    """
    Queue a task of an upload due at ``epoch`` (creating its task
    container if it is the first). A failure is logged, not raised: the
    upload is created (or completed) all the same, and the audit tool
    finds it once past its abort date (or its attempts as orphans).

    :returns: True if the task was written.
    """
    name = tasks.task_name(epoch, wsgi_to_str(req.account),
                           wsgi_to_str(req.container_name), upload_id)
    container = tasks.task_container(name, epoch)
    path = '/v1/%s/%s/%s' % (tasks.TASK_ACCOUNT, container, name)
    body = tasks.task_body(key_of(req), conf.abort_incomplete_days_default,
                           conf.abort_incomplete_days_max)
    headers = {'Content-Type': tasks.TASK_CONTENT_TYPE}
    status = _task_request(req, app, path, body, headers)
    if status == 404:
        _task_request(req, app, '/v1/%s/%s' % (tasks.TASK_ACCOUNT, container))
        status = _task_request(req, app, path, body, headers)
    metric = 'mpu.lifecycle' if what == 'abort' else 'mpu.sweep'
    if is_success(status):
        logger.increment(metric + '.queued')
        return True
    logger.error('upload %s: could not queue its %s task %s/%s (%d)',
                 upload_id, what, container, name, status)
    logger.increment(metric + '.queue_error')
    return False
