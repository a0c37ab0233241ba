"""Access: with ``s3_acl`` on, others cannot touch someone's uploads.

The owner (``test:tester``) has a private bucket with an upload of two
parts, an object, and a private source bucket. Two users try every
multipart operation on them:

* ``test:tester2``, of the same account, without grants: AccessDenied for
  each, including UploadPartCopy into an upload of their own (in a bucket
  the owner lets them write to) from the source bucket they cannot read;
* ``test2:tester3``, of another account: s3api keeps buckets per Swift
  account, so the owner's bucket names do not reach the owner's account:
  NoSuchBucket, or, once they made buckets of the same names in their own
  account, NoSuchUpload / NoSuchKey for the owner's upload id and object.

After each refusal nothing has changed: the owner's upload, its parts,
the objects, and the segments containers (listed straight from Swift).
These tests run on a SAIO of their own with ``s3_acl = true`` (and
``check_bucket_owner``, and encryption on), on the
session SAIO's base port + 200 (``$S3MP_ACCESS_BASE_PORT``). The run
prints ``access: N denials checked ...``.
"""

import collections
import unittest
import uuid

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from test.functional import extra_saio, figures
from test.functional import test_config_acl_encryption as acl_encryption
from test.saio import use_state_dir
from test.functional.base import error_code, saio
from test.functional.conftest import proxy_log_problems
from test.functional.figures import print_figures  # noqa: F401

OWNER = 'test:tester'
SAME_ACCOUNT = 'test:tester2'
OTHER_ACCOUNT = 'test2:tester3'
PART = b'p' * 1024
# the access SAIO, and its InternalClient once made
_SAIO = []
# (user, error code) -> refusals checked
DENIALS = collections.Counter()
CHANGES = []


def setUpModule():
    # the configuration of test_config_acl_encryption: s3_acl on (with
    # check_bucket_owner), encryption on
    _SAIO.append(extra_saio.start(
        'access', 200, saio_options=acl_encryption.SAIO_OPTIONS,
        **acl_encryption.S3API_OPTIONS))


def tearDownModule():
    problems = []
    if _SAIO:
        # as conftest does for the session SAIO
        problems = proxy_log_problems(_SAIO[0].proxy_log)
        extra_saio.stop(_SAIO[0])
        del _SAIO[:]
    if DENIALS:
        figures.record('access', '%d denials checked (%s); changes = %d; '
                       'proxy log problems = %d' % (
                           sum(DENIALS.values()), ', '.join(
                               '%s %s %d' % (user, code, n)
                               for (user, code), n in sorted(
                                   DENIALS.items())),
                           len(CHANGES), len(problems)))
    if problems:
        raise AssertionError('the s3_acl SAIO\'s proxy logged:\n' +
                             '\n'.join(problems[:20]))


def s3_client(user):
    env = _SAIO[0].env()
    return boto3.client(
        's3', endpoint_url=env['endpoint'], region_name=env['region'],
        aws_access_key_id=user, aws_secret_access_key=env['users'][user],
        config=Config(s3={'addressing_style': 'path'},
                      retries={'max_attempts': 1}))


def swift_listing(account, container):
    """[(name, etag, bytes)] of a container of the access SAIO, straight
    from Swift ([] if there is none)."""
    # InternalClient needs this process's Swift to use the access SAIO's
    # swift.conf (hash path suffix); the session SAIO's is put back after
    use_state_dir(_SAIO[0].state_dir)
    if len(_SAIO) == 1:
        _SAIO.append(_SAIO[0].internal_client())
    client = _SAIO[1]
    try:
        if not client.container_exists(account, container):
            return []
        return [(o['name'], o['hash'], o['bytes'])
                for o in client.iter_objects(account, container)]
    finally:
        use_state_dir(saio().state_dir)


class AccessTestCase(unittest.TestCase):
    """The owner's buckets and upload; ``assertRefused`` checks that an
    operation is refused and changes nothing."""

    user = None

    def setUp(self):
        suffix = uuid.uuid4().hex[:12]
        self.victim = 'victim-' + suffix
        self.src = 'src-' + suffix
        self.shared = 'shared-' + suffix
        self.buckets = (self.victim, self.src, self.shared)
        self.owner = s3_client(OWNER)
        self.attacker = s3_client(self.user)
        for bucket in self.buckets:
            self.owner.create_bucket(Bucket=bucket)
            self.addCleanup(self.remove_bucket, self.owner, bucket)
        self.owner.put_object(Bucket=self.victim, Key='done', Body=PART)
        self.owner.put_object(Bucket=self.src, Key='secret', Body=PART)
        self.upload_id = self.owner.create_multipart_upload(
            Bucket=self.victim, Key='obj')['UploadId']
        self.parts = [{'PartNumber': n, 'ETag': self.owner.upload_part(
            Bucket=self.victim, Key='obj', UploadId=self.upload_id,
            PartNumber=n, Body=PART)['ETag']} for n in (1, 2)]
        self.account = _SAIO[0].env()['accounts'][OWNER]

    def remove_bucket(self, s3, bucket):
        for upload in s3.list_multipart_uploads(Bucket=bucket).get(
                'Uploads', []):
            s3.abort_multipart_upload(Bucket=bucket, Key=upload['Key'],
                                      UploadId=upload['UploadId'])
        for obj in s3.list_objects(Bucket=bucket).get('Contents', []):
            s3.delete_object(Bucket=bucket, Key=obj['Key'])
        s3.delete_bucket(Bucket=bucket)

    def state(self):
        """What a refused request must leave as it was."""
        state = {'uploads': [
            (u['Key'], u['UploadId']) for u in
            self.owner.list_multipart_uploads(Bucket=self.victim).get(
                'Uploads', [])]}
        state['parts'] = [
            (p['PartNumber'], p['ETag'], p['Size']) for p in
            self.owner.list_parts(Bucket=self.victim, Key='obj',
                                  UploadId=self.upload_id)['Parts']]
        for bucket in self.buckets:
            state[bucket] = swift_listing(self.account, bucket)
            state[bucket + '+segments'] = swift_listing(
                self.account, bucket + '+segments')
        return state

    def assertRefused(self, codes, name, call):
        """``call`` raises an S3 error in ``codes``; nothing changed."""
        # what the last check saw after its refusal, if nothing came since
        before = self.__dict__.pop('last_state', None) or self.state()
        with self.subTest(operation=name, user=self.user):
            with self.assertRaises(ClientError) as caught:
                call()
            code = error_code(caught.exception)
            self.assertIn(code, codes)
            after = self.state()
            if after != before:
                CHANGES.append((self.user, name))
            self.assertEqual(before, after)
            DENIALS[(self.user, code)] += 1
            self.last_state = after

    def victim_operations(self, s3):
        """(name, call) of every multipart operation on the owner's
        bucket, upload and object."""
        bucket, upload_id = self.victim, self.upload_id
        return [
            ('ListMultipartUploads',
             lambda: s3.list_multipart_uploads(Bucket=bucket)),
            ('ListParts', lambda: s3.list_parts(
                Bucket=bucket, Key='obj', UploadId=upload_id)),
            ('UploadPart', lambda: s3.upload_part(
                Bucket=bucket, Key='obj', UploadId=upload_id, PartNumber=3,
                Body=PART)),
            ('UploadPart over part 1', lambda: s3.upload_part(
                Bucket=bucket, Key='obj', UploadId=upload_id, PartNumber=1,
                Body=b'evil' * 256)),
            ('UploadPartCopy', lambda: s3.upload_part_copy(
                Bucket=bucket, Key='obj', UploadId=upload_id, PartNumber=3,
                CopySource={'Bucket': bucket, 'Key': 'done'})),
            ('CompleteMultipartUpload', lambda: s3.complete_multipart_upload(
                Bucket=bucket, Key='obj', UploadId=upload_id,
                MultipartUpload={'Parts': self.parts})),
            ('AbortMultipartUpload', lambda: s3.abort_multipart_upload(
                Bucket=bucket, Key='obj', UploadId=upload_id)),
            ('CreateMultipartUpload', lambda: s3.create_multipart_upload(
                Bucket=bucket, Key='obj')),
            # READ on the object (it answered 500 under s3_acl, issue 12)
            ('GetObjectAttributes', lambda: s3.get_object_attributes(
                Bucket=bucket, Key='done', ObjectAttributes=['ETag'])),
        ]

    def copy_from_src(self, bucket):
        """UploadPartCopy of the owner's secret into the attacker's own
        upload in ``bucket``; :returns: (name, call)."""
        upload_id = self.attacker.create_multipart_upload(
            Bucket=bucket, Key='mine')['UploadId']
        self.__dict__.pop('last_state', None)
        return ('UploadPartCopy from an unreadable bucket',
                lambda: self.attacker.upload_part_copy(
                    Bucket=bucket, Key='mine', UploadId=upload_id,
                    PartNumber=1,
                    CopySource={'Bucket': self.src, 'Key': 'secret'}))


class TestSameAccountWithoutGrants(AccessTestCase):
    user = SAME_ACCOUNT

    def test_every_operation_denied(self):
        for name, call in self.victim_operations(self.attacker):
            self.assertRefused(('AccessDenied',), name, call)

    def test_object_attributes_need_read(self):
        """GetObjectAttributes under s3_acl: the owner reads them, the
        other user once granted READ on the object (a multipart object:
        its parts too).
        https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectAttributes.html
        """
        done = self.owner.complete_multipart_upload(
            Bucket=self.victim, Key='obj', UploadId=self.upload_id,
            MultipartUpload={'Parts': self.parts})

        def attributes(s3):
            return s3.get_object_attributes(
                Bucket=self.victim, Key='obj',
                ObjectAttributes=['ETag', 'ObjectParts', 'ObjectSize'])
        got = attributes(self.owner)
        self.assertEqual(done['ETag'].strip('"'), got['ETag'])
        self.assertEqual(2 * len(PART), got['ObjectSize'])
        self.assertEqual(2, got['ObjectParts']['TotalPartsCount'])
        with self.assertRaises(ClientError) as caught:
            attributes(self.attacker)
        self.assertEqual('AccessDenied', error_code(caught.exception))
        DENIALS[(self.user, 'AccessDenied')] += 1
        self.owner.put_object_acl(
            Bucket=self.victim, Key='obj', GrantFullControl='id=' + OWNER,
            GrantRead='id=' + SAME_ACCOUNT)
        self.assertEqual(got['ETag'], attributes(self.attacker)['ETag'])

    def test_upload_part_copy_from_unreadable_bucket_denied(self):
        # they may write to the shared bucket, and read nothing else
        self.owner.put_bucket_acl(
            Bucket=self.shared, GrantFullControl='id=' + OWNER,
            GrantWrite='id=' + SAME_ACCOUNT, GrantRead='id=' + SAME_ACCOUNT)
        self.assertRefused(('AccessDenied',), *self.copy_from_src(
            self.shared))


class TestOtherAccount(AccessTestCase):
    user = OTHER_ACCOUNT

    def test_owner_buckets_out_of_reach(self):
        # s3api's buckets are per Swift account: none of these names is a
        # bucket in the other account
        for name, call in self.victim_operations(self.attacker):
            self.assertRefused(('AccessDenied', 'NoSuchBucket'), name, call)

    def test_owner_upload_id_out_of_reach(self):
        """The same bucket names in their own account: the owner's upload
        id and object names lead nowhere."""
        for bucket in self.buckets:
            self.attacker.create_bucket(Bucket=bucket)
            self.addCleanup(self.remove_bucket, self.attacker, bucket)
        self.attacker.put_object(Bucket=self.victim, Key='done', Body=PART)
        self.__dict__.pop('last_state', None)
        for name, call in self.victim_operations(self.attacker):
            if name in ('ListMultipartUploads', 'CreateMultipartUpload',
                        'GetObjectAttributes'):
                continue    # of their own bucket and object: allowed
            self.assertRefused(('AccessDenied', 'NoSuchUpload'), name, call)
        self.assertRefused(('AccessDenied', 'NoSuchKey'),
                           *self.copy_from_src(self.shared))
