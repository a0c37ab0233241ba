"""
The caller's permission and the three reads a Complete of our layout
starts with, all at once.

The check of the caller's permission (the bucket's ACL under s3_acl,
:func:`records.acl_check`; else Swift's auth on the attempts listing,
:func:`records.auth_check`), the upload's record, the key (what it
holds, with X-Newest) and the listing of the upload's attempts do not
depend on one another: they go to the backend
together, so that a Complete waits for the slowest of them, not for their
sum (issue 11: Complete of 1 and 3 parts no slower than stock's). Each read
is one backend request (or one per listing page) that leaves the S3
request as it found it. None of their answers is used before the check
has passed (:meth:`CompleteReads.checked`): a caller without permission
learns nothing from them but AccessDenied (s3api's authentication is done
before any of them starts).

https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html
"""

from swift.common.concurrency import GreenPool

from swift3_multipart import layout
from swift3_multipart.greenthreads import Quiet
from swift3_multipart.controllers import attempts, records
from swift3_multipart.controllers.common import key_of


class CompleteReads(object):
    """Started on creation; each accessor waits for its read (and raises
    what it raised). :meth:`checked` first."""

    def __init__(self, req, app, upload_id):
        """
        :raises AccessDenied: (or what else :func:`records.check` raises)
            for a key too long to have an upload, which is checked alone,
            before any read (its listing query would not fit in a backend
            server's request line).
        :raises NoSuchUpload: the key is too long, and the caller may
            write.
        """
        if not layout.key_fits(req.object_name):
            records.check_upload(req, app, upload_id, write=True)
        self._pool = GreenPool(4)
        if getattr(req, 'acl_handler', None) is not None:
            # s3_acl: the bucket's ACL (its own request)
            self._checked = Quiet(self._pool, records.acl_check, req,
                                  app, True)
            check = None
        else:
            # the listing is the caller's read of the segments container:
            # Swift's auth checks it, and its answer whether a PUT may be
            # (no HEAD of the container for that)
            def check(resp):
                records.auth_check(req, app, True, resp)
        # every attempt name the listing read (for the sweep)
        self.seen = []
        self._record = Quiet(self._pool, records.head_record, req, app,
                             key_of(req), upload_id)
        self._key = Quiet(self._pool, attempts.head_key, req, app)
        self._listing = Quiet(self._pool, attempts.list_parts, req, app,
                              upload_id, seen=self.seen, check=check)
        if check:
            self._checked = self._listing

    def checked(self):
        """Wait for the caller's permission check; raise what it
        raised (without s3_acl: the listing, all its pages)."""
        self._checked.wait()

    def record(self):
        """The record's HEAD response, or None (see
        :func:`records.head_record`)."""
        return self._record.wait()

    def key(self):
        """The key's HEAD response (see :func:`attempts.head_key`)."""
        return self._key.wait()

    def listing(self):
        """(parts, more) of :func:`attempts.list_parts`."""
        return self._listing.wait()

    def finish(self):
        """Wait for all of them: none outlives the request."""
        self._pool.waitall()
