"""The second configuration of CI's matrix (issue 12 item 4).

The whole functional suite runs on the session SAIO: ``s3_acl`` off,
encryption off. This module runs a subset again on a SAIO configured as
many operators run Swift: ``s3_acl = true`` with ``check_bucket_owner``,
Swift's encryption middleware (keymaster, encryption) in the pipeline, one
replica, uploads of our layout (the default). The subset covers every
operation we serve:

=============================  ==========================================
operation                      tests here
=============================  ==========================================
CreateMultipartUpload,         ``TestUploads`` (our_layout.OurUploads:
UploadPart, ListParts,         create, re-upload, list, complete, retry,
ListMultipartUploads,          abort, READ on listings, a stock proxy
CompleteMultipartUpload,       beside ours)
AbortMultipartUpload
UploadPartCopy                 ``TestUploadPartCopy`` (ranges, source
                               conditions, versions, both proxies)
Complete's conditions,         ``TestConditions``, ``TestVersioned``
versioned buckets
checksums (trailers, whole-    ``TestChecksums``
object, COMPOSITE)
GetObjectAttributes            ``TestAttributes``
GET/HEAD ``?partNumber``       ``TestPartNumbers``
clean-up paths (PutObject,     ``TestEveryPathFrees``
CopyObject, DeleteObject,
DeleteObjects, Complete over)
errors of every operation      ``TestErrors``
lifecycle configuration        ``TestLifecycleConfiguration``
x-amz-server-side-encryption   ``TestServerSideEncryption``
=============================  ==========================================

test_access.py runs on a SAIO of this configuration too (others' access to
uploads). Like the session SAIO's, this proxy's log may hold no traceback
and no 500.
"""

import os

from test.functional import our_layout
from test.functional.base import BucketTestCase, saio
from test.functional import test_checksums, test_cleanup, \
    test_complete_more, test_errors, test_lifecycle_rules, \
    test_object_attributes, test_part_number, test_upstream_parity
from test.functional.figures import print_figures  # noqa: F401

# the options this configuration adds, for the module SAIO and test_access
S3API_OPTIONS = {'s3_acl': 'true', 'check_bucket_owner': 'true'}
SAIO_OPTIONS = {'encryption': True}

setUpModule, tearDownModule = our_layout.use_saio(
    'aclenc', 280, saio_options=SAIO_OPTIONS, **S3API_OPTIONS)


class TestUploads(our_layout.OurUploads):
    pass


class TestUploadPartCopy(test_upstream_parity.TestUploadPartCopyParity):
    pass


class TestConditions(test_complete_more.TestCompleteConditions):
    pass


class TestVersioned(test_complete_more.TestVersionedComplete):
    pass


class TestChecksums(test_checksums.TestChecksums):
    pass


class TestAttributes(test_object_attributes.TestObjectAttributes):
    pass


class TestPartNumbers(test_part_number.TestPartNumber):
    pass


class TestCleanupPaths(test_cleanup.TestEveryPathFrees):
    pass


class TestErrors(test_errors.TestErrors):
    pass


class TestLifecycleConfiguration(
        test_lifecycle_rules.TestLifecycleConfiguration):
    pass


class TestServerSideEncryption(BucketTestCase):
    """
    Swift's encryption middleware encrypts every object; each multipart
    write says so as AWS does, and boto3 reads it (issue 12 item 12).
    https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html
    """

    def test_every_answer_says_aes256(self):
        self.s3.put_object(Bucket=self.bucket, Key='src', Body=b'y' * 2000)
        for asked in ({'ServerSideEncryption': 'AES256'}, {}):
            created = self.s3.create_multipart_upload(
                Bucket=self.bucket, Key='obj', **asked)
            upload_id = created['UploadId']
            part = self.s3.upload_part(
                Bucket=self.bucket, Key='obj', UploadId=upload_id,
                PartNumber=1, Body=b'x' * 2000)
            copied = self.s3.upload_part_copy(
                Bucket=self.bucket, Key='obj', UploadId=upload_id,
                PartNumber=2, CopySource={'Bucket': self.bucket,
                                          'Key': 'src'})
            done = self.s3.complete_multipart_upload(
                Bucket=self.bucket, Key='obj', UploadId=upload_id,
                MultipartUpload={'Parts': [
                    {'PartNumber': 1, 'ETag': part['ETag']},
                    {'PartNumber': 2,
                     'ETag': copied['CopyPartResult']['ETag']}]})
            head = self.s3.head_object(Bucket=self.bucket, Key='obj')
            got = self.s3.get_object(Bucket=self.bucket, Key='obj')
            self.assertEqual(b'x' * 2000 + b'y' * 2000, got['Body'].read())
            self.assertEqual(['AES256'] * 6, [
                r.get('ServerSideEncryption') for r in (
                    created, part, copied, done, head, got)], asked)
        # and no object file on the devices holds the client's bytes
        found = []
        for top, _dirs, files in os.walk(saio().config.data_dir):
            for name in files:
                if name.endswith('.data'):
                    with open(os.path.join(top, name), 'rb') as f:
                        data = f.read()
                    found.append(b'x' * 64 in data or b'y' * 64 in data)
        self.assertTrue(found)
        self.assertFalse(any(found))
