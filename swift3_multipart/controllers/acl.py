"""s3api's ACL handlers (under ``s3_acl = true``), for our layout too."""

from swift.common.middleware.s3api import acl_handlers
from swift.common.middleware.s3api.s3response import NoSuchKey, \
    NoSuchUpload

from swift3_multipart import layout


class UploadAclHandler(acl_handlers.UploadAclHandler):
    """
    Stock's handler of ListParts, Abort and Complete, whose PUT (the
    manifest's) copies the ACL that Create stored on the upload marker. An
    upload of our layout has no marker: Complete copies it from the record
    itself.
    """

    def PUT(self, app):
        upload_id = self.req.params.get('uploadId')
        if layout.is_ours(upload_id):
            return
        try:
            super().PUT(app)
        except NoSuchKey:
            # The marker went between our check and the manifest's PUT: a
            # racing Abort or Complete ended the upload. AWS answers
            # NoSuchUpload, never NoSuchKey, to a Complete of an upload
            # that is gone (issue 12 item 3):
            # https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html
            raise NoSuchUpload(upload_id=upload_id)
