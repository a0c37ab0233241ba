"""s3api's ACL handlers (under ``s3_acl = true``), for our layout too."""

from swift.common.middleware.s3api import acl_handlers

from swift3_multipart import layout


class UploadAclHandler(acl_handlers.UploadAclHandler):
    """
    Stock's handler of ListParts, Abort and Complete, whose PUT (the
    manifest's) copies the ACL that Create stored on the upload marker. An
    upload of our layout has no marker: Complete copies it from the record
    itself.
    """

    def PUT(self, app):
        if layout.is_ours(self.req.params.get('uploadId')):
            return
        super().PUT(app)
