"""Bucket lifecycle rules (AbortIncompleteMultipartUpload) with boto3.

https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketLifecycleConfiguration.html
https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLifecycleConfiguration.html
https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteBucketLifecycle.html
https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpu-abort-incomplete-mpu-lifecycle-config.html
"""

import base64
import hashlib
import time
from datetime import datetime, timezone

from test.saio import Saio
from test.functional.base import BucketTestCase, client, error_code, \
    raw_request, saio

DAY = 86400


def rule(rule_id='tmp', days=2, status='Enabled', **where):
    found = {'ID': rule_id, 'Status': status,
             'AbortIncompleteMultipartUpload': {'DaysAfterInitiation': days}}
    found.update(where or {'Filter': {'Prefix': 'tmp/'}})
    return found


def abort_date(days, initiated=None):
    """The next midnight UTC after initiation plus ``days``."""
    initiated = time.time() if initiated is None else initiated
    return datetime.fromtimestamp(
        (int(initiated) // DAY + days + 1) * DAY, timezone.utc)


class LifecycleTestCase(BucketTestCase):
    def put_rules(self, *rules, s3=None):
        return (s3 or self.s3).put_bucket_lifecycle_configuration(
            Bucket=self.bucket, LifecycleConfiguration={'Rules': list(rules)})

    def get_rules(self):
        return self.s3.get_bucket_lifecycle_configuration(
            Bucket=self.bucket)['Rules']


class TestLifecycleConfiguration(LifecycleTestCase):
    def test_put_get_delete(self):
        resp = self.put_rules(rule(), rule('all', 30, Filter={}))
        self.assertEqual(200, resp['ResponseMetadata']['HTTPStatusCode'])
        self.assertEqual([rule(), rule('all', 30, Filter={})],
                         self.get_rules())
        self.s3.delete_bucket_lifecycle(Bucket=self.bucket)
        self.assertS3Error('NoSuchLifecycleConfiguration', 404,
                           self.get_rules)
        # deleting what is not there is fine, as AWS
        self.s3.delete_bucket_lifecycle(Bucket=self.bucket)

    def test_replaces_and_keeps_form(self):
        self.put_rules(rule())
        legacy = rule('old', 5, 'Disabled', Prefix='old/')
        self.put_rules(legacy)
        self.assertEqual([legacy], self.get_rules())

    def test_rule_gets_an_id(self):
        self.put_rules({'Filter': {'Prefix': ''}, 'Status': 'Enabled',
                        'AbortIncompleteMultipartUpload': {
                            'DaysAfterInitiation': 1}})
        self.assertTrue(self.get_rules()[0]['ID'])

    def test_no_configuration(self):
        self.assertS3Error('NoSuchLifecycleConfiguration', 404,
                           self.get_rules)

    def test_other_actions_not_implemented(self):
        """Never accepted silently: we would not run them."""
        for extra in ({'Expiration': {'Days': 30}},
                      {'Transitions': [{'Days': 30,
                                        'StorageClass': 'GLACIER'}]},
                      {'NoncurrentVersionExpiration': {'NoncurrentDays': 3}},
                      {'Expiration': {'ExpiredObjectDeleteMarker': True}}):
            with self.subTest(extra=extra):
                found = rule()
                found.update(extra)
                self.assertS3Error('NotImplemented', 501, self.put_rules,
                                   found)
                self.assertS3Error('NotImplemented', 501, self.put_rules,
                                   dict(extra, ID='x', Status='Enabled',
                                        Filter={}))
        self.assertS3Error('NoSuchLifecycleConfiguration', 404,
                           self.get_rules)

    def test_refused(self):
        for bad, code in (
                (rule(days=0), 'InvalidArgument'),
                (rule(Filter={'Tag': {'Key': 'k', 'Value': 'v'}}),
                 'InvalidRequest'),
                (rule(Filter={'ObjectSizeGreaterThan': 10}),
                 'InvalidRequest'),
                (rule('x' * 256), 'InvalidArgument')):
            with self.subTest(bad=bad):
                self.assertS3Error(code, 400, self.put_rules, bad)
        self.assertS3Error('InvalidArgument', 400, self.put_rules, rule(),
                           rule())   # the same ID twice

    def test_malformed_and_unsigned_bodies(self):
        path = '/%s?lifecycle' % self.bucket
        for body in (b'<LifecycleConfiguration>',
                     b'<LifecycleConfiguration></LifecycleConfiguration>',
                     b'<LifecycleConfiguration><Rule><Status>On</Status>'
                     b'</Rule></LifecycleConfiguration>'):
            md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
            status, _, got = raw_request('PUT', path, body,
                                         {'Content-MD5': md5})
            self.assertEqual(400, status)
            self.assertIn(b'<Code>MalformedXML</Code>', got)
        # AWS requires Content-MD5 (or a checksum header)
        status, _, got = raw_request('PUT', path, body)
        self.assertEqual(400, status)
        self.assertIn(b'Content-MD5', got)

    def test_only_the_owner(self):
        self.put_rules(rule())
        # tester2 is of the account, not one of its owners
        other = client('test:tester2')
        self.assertS3Error('AccessDenied', 403, self.put_rules, rule(),
                           s3=other)
        self.assertS3Error('AccessDenied', 403,
                           other.delete_bucket_lifecycle, Bucket=self.bucket)
        self.assertEqual([rule()], self.get_rules())

    def test_stock_s3api_has_none(self):
        """What this replaces: stock s3api cannot store a rule."""
        stock = client(proxy='stock')
        self.assertS3Error('MalformedXML', 400, self.put_rules, rule(),
                           s3=stock)


class TestAbortDate(LifecycleTestCase):
    """x-amz-abort-date and x-amz-abort-rule-id.

    https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateMultipartUpload.html
    https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListParts.html
    """

    def test_create_and_list_parts(self):
        self.put_rules(rule(days=2), rule('fast', 1, Prefix='tmp/fast/'))
        before = time.time()
        created = self.s3.create_multipart_upload(Bucket=self.bucket,
                                                  Key='tmp/a')
        self.assertIn(created['AbortDate'], (abort_date(2, before),
                                             abort_date(2)))
        self.assertEqual('tmp', created['AbortRuleId'])
        listed = self.s3.list_parts(Bucket=self.bucket, Key='tmp/a',
                                    UploadId=created['UploadId'])
        self.assertEqual(created['AbortDate'], listed['AbortDate'])
        self.assertEqual('tmp', listed['AbortRuleId'])
        # the rule with the fewest days wins
        fast = self.s3.create_multipart_upload(Bucket=self.bucket,
                                               Key='tmp/fast/b')
        self.assertEqual('fast', fast['AbortRuleId'])
        self.assertEqual(1, (created['AbortDate'] - fast['AbortDate']).days)

    def test_no_rule_applies(self):
        self.put_rules(rule(), rule('off', 1, 'Disabled', Filter={}))
        created = self.s3.create_multipart_upload(Bucket=self.bucket,
                                                  Key='keep/a')
        self.assertNotIn('AbortDate', created)
        self.assertNotIn('AbortRuleId', created)
        listed = self.s3.list_parts(Bucket=self.bucket, Key='keep/a',
                                    UploadId=created['UploadId'])
        self.assertNotIn('AbortDate', listed)


class TestOperatorPolicy(LifecycleTestCase):
    """abort_incomplete_days_default and _max, on our proxy restarted with
    them (and restarted as it was after)."""

    @classmethod
    def setUpClass(cls):
        cls.options = dict(saio().config.extra_s3api_options)
        Saio.load(saio().state_dir, s3api_options=dict(
            cls.options, abort_incomplete_days_default='3',
            abort_incomplete_days_max='10')).restart_proxy('ours')

    @classmethod
    def tearDownClass(cls):
        Saio.load(saio().state_dir,
                  s3api_options=cls.options).restart_proxy('ours')

    def test_default_where_no_rule(self):
        before = time.time()
        created = self.s3.create_multipart_upload(Bucket=self.bucket,
                                                  Key='a')
        self.assertIn(created['AbortDate'], (abort_date(3, before),
                                             abort_date(3)))
        self.assertEqual('cluster-policy', created['AbortRuleId'])

    def test_ceiling(self):
        try:
            self.put_rules(rule(days=11))
        except Exception as exc:
            self.assertEqual('InvalidArgument', error_code(exc))
        else:
            self.fail('a rule above the ceiling was accepted')
        self.put_rules(rule(days=10), rule('slow', 1, Prefix='slow/',
                                           status='Disabled'))
        created = self.s3.create_multipart_upload(Bucket=self.bucket,
                                                  Key='tmp/a')
        self.assertEqual('tmp', created['AbortRuleId'])
        self.assertEqual(10, (created['AbortDate'] - abort_date(0)).days)
