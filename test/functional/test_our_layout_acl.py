"""Uploads of our layout under ``s3_acl = true`` (Create checks WRITE and
keeps the ACL on the record, Complete puts it on the object)."""

from test.functional import our_layout

setUpModule, tearDownModule = our_layout.use_saio('oursacl', 280,
                                                  s3_acl='true')


class TestOurUploadsS3Acl(our_layout.OurUploads):
    pass
