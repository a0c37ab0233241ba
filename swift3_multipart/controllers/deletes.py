"""DeleteObject and DeleteObjects of a multipart object: the manifest goes,
its parts wait for the upload's free task.

Stock s3api deletes an SLO manifest with ``?multipart-manifest=delete``:
SLO (or the object-expirer, with ``async``) deletes its segments at once.
A Complete of that upload still in flight, or a GET streaming the object,
would then lose them. Here the manifest alone is deleted, and the upload's
free task is queued once its record is read gone after the DELETE
(:func:`swift3_multipart.protocol.replaced`); the reaper frees the parts
``gc_delay`` later, unless a manifest (another version) still names them.

s3api's controllers are used as they are, with the app they talk to
wrapped (:class:`PlainManifestDeletes`) for the request: it sees s3api's
own HEAD of the object (``?symlink=get``) and the DELETE that follows.

https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObject.html
https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html
"""

from urllib.parse import parse_qsl, urlencode

from swift.common.middleware.s3api.controllers import multi_delete
from swift.common.middleware.s3api.acl_handlers import \
    MultiObjectDeleteAclHandler
from swift.common.swob import wsgi_to_str
from swift.common.utils import public

from swift3_multipart import layout
from swift3_multipart.controllers.common import UPLOAD_ID_SYSMETA
from swift3_multipart.controllers.s3backend import replaced

DROPPED = ('multipart-manifest', 'async')


def _upload_id(headers):
    found = {k.lower(): v for k, v in headers}
    return found.get(layout.OUR_UPLOAD_ID_SYSMETA.lower()) or \
        found.get(UPLOAD_ID_SYSMETA.lower())


class PlainManifestDeletes(object):
    """
    The app below a DeleteObject or DeleteObjects: a DELETE with
    ``multipart-manifest=delete`` goes on without it; the upload the
    deleted manifest was completed from (told by the HEAD s3api made of it)
    is kept in :attr:`deleted`.
    """

    def __init__(self, app):
        self.app = app
        #: {(path, version): upload id} of the HEADs seen
        self.heads = {}
        #: [(key, upload id)] of the manifests deleted
        self.deleted = []

    def __call__(self, env, start_response):
        query = parse_qsl(env.get('QUERY_STRING', ''),
                          keep_blank_values=True)
        params = dict(query)
        # (not the account: the first backend request of an S3 request
        # still names the caller's, which auth then replaces)
        where = (env['PATH_INFO'].split('/', 3)[-1],
                 params.get('version-id'))
        method = env['REQUEST_METHOD']
        if method == 'HEAD' and params.get('symlink') == 'get':
            def head_done(status, headers, exc_info=None):
                upload_id = _upload_id(headers)
                if status.startswith('2') and upload_id:
                    self.heads[where] = upload_id
                return start_response(status, headers, exc_info)
            return self.app(env, head_done)
        upload_id = self.heads.get(where)
        if method == 'DELETE' and upload_id and \
                params.get('multipart-manifest') == 'delete':
            # (an SLO a Swift user made, of no upload, goes as SLO
            # deletes it)
            env['QUERY_STRING'] = urlencode(
                [(k, v) for k, v in query if k not in DROPPED])

            def deleted(status, headers, exc_info=None):
                if status.startswith('2'):
                    key = wsgi_to_str(env['PATH_INFO'].split('/', 4)[4])
                    self.deleted.append((key, upload_id))
                return start_response(status, headers, exc_info)
            return self.app(env, deleted)
        return self.app(env, start_response)


def deleting(controller, req, handler):
    """
    Run ``handler(req)`` (s3api's DELETE or POST ?delete) with the
    controller's app wrapped, then queue the free tasks of the uploads
    whose manifests it deleted.
    """
    app = controller.app
    wrapped = controller.app = PlainManifestDeletes(app)
    try:
        resp = handler(req)
    finally:
        controller.app = app
    for key, upload_id in wrapped.deleted:
        replaced(req, app, controller.conf, controller.logger, upload_id,
                 key)
    return resp


class MultiObjectDeleteController(multi_delete.MultiObjectDeleteController):
    """DeleteObjects, as s3api, the parts freed late."""
    acl_handler = MultiObjectDeleteAclHandler
    resource_type = 'MULTI_OBJECT_DELETE'

    @public
    def POST(self, req):
        return deleting(self, req, super().POST)
