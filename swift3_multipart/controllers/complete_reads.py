"""
The three reads a Complete of our layout starts with, at once.

The upload's record, the key (what it holds, with X-Newest) and the
listing of the upload's attempts do not depend on one another: they go to
the backend together, so that a Complete waits for the slowest of them,
not for their sum (issue 11: Complete of 1 and 3 parts no slower than
stock's). Each is one pre-authorized backend request (or one per listing
page) that leaves the S3 request as it found it, made after the caller's
permission was checked (and s3api's authentication done).

https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html
"""

from swift.common.concurrency import GreenPool

from swift3_multipart.controllers import attempts, records
from swift3_multipart.controllers.common import key_of


class CompleteReads(object):
    """Started on creation; each accessor waits for its read (and raises
    what it raised)."""

    def __init__(self, req, app, upload_id):
        self._pool = GreenPool(3)
        # every attempt name the listing read (for the sweep)
        self.seen = []
        self._record = self._pool.spawn(
            records.head_record, req, app, key_of(req), upload_id)
        self._key = self._pool.spawn(attempts.head_key, req, app)
        self._listing = self._pool.spawn(
            attempts.list_parts, req, app, upload_id, seen=self.seen)

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
