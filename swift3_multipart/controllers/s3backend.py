"""The :class:`swift3_multipart.abort.Backend` of an S3 request: how
AbortMultipartUpload (and Complete, UploadPart) reach an upload of our
layout.

The caller's permission is checked first (:func:`records.check`); then our
own look-ups and writes go without s3api's ACL handler (pre-authorized
under s3_acl, through auth without it), the index by pre-authorized
requests.
"""

from swift.common.swob import str_to_wsgi

from swift3_multipart import abort, layout
from swift3_multipart.controllers import attempts, records
from swift3_multipart.controllers.cleanup import delete_objects
from swift3_multipart.controllers.common import segments_container, key_of
from swift3_multipart.controllers.own import own_response


class S3Backend(abort.Backend):

    def __init__(self, req, app, conf, upload_id, logger=None):
        self.req = req
        self.logger = logger
        # {attempt name: bytes} of the attempts listed
        self.sizes = {}
        self.app = app
        self.conf = conf
        self.upload_id = upload_id
        self.key = key_of(req)
        self._abort_record = str_to_wsgi(
            layout.abort_record_name(self.key, upload_id))

    def record(self):
        """The HEAD response of the live record, or None."""
        return records.head_record(self.req, self.app, self.key,
                                   self.upload_id)

    def record_exists(self):
        return self.record() is not None

    def delete_record(self):
        records.delete_record(self.req, self.app, self.key, self.upload_id)

    def aborted(self):
        return abort.shows_abort(attempts.head_newest(
            self.req, self.app, segments_container(self.req),
            self._abort_record), self.upload_id)

    def write_abort_record(self, timestamp):
        # 201, or 202 if an object server held it already (refused)
        own_response(
            self.req, self.app, 'PUT', segments_container(self.req),
            self._abort_record, body=b'', headers={
                'Content-Type': 'application/octet-stream',
                'Content-Length': '0',
                'X-Timestamp': timestamp.internal})

    def manifest_segments(self):
        return attempts.manifest_segments(self.req, self.app,
                                          self.upload_id)

    def attempts(self):
        rows = list(attempts.attempt_rows(self.req, self.app,
                                          self.upload_id))
        self.sizes.update((row['name'], row['bytes']) for row in rows)
        return [row['name'] for row in rows]

    def delete(self, names):
        return delete_objects(self.req, self.app,
                              segments_container(self.req), names,
                              self.conf.segment_delete_concurrency,
                              logger=self.logger, sizes=self.sizes)
