"""Uploads of our layout under ``s3_acl = true`` (Create checks WRITE and
keeps the ACL on the record, Complete puts it on the object), with
``list_stock_uploads = false`` (ListMultipartUploads checks READ itself and
reads the index alone)."""

from test.functional import our_layout

setUpModule, tearDownModule = our_layout.use_saio(
    'oursacl', 280, s3_acl='true', list_stock_uploads='false')


class TestOurUploadsS3Acl(our_layout.OurUploads):
    pass
