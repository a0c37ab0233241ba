"""Lifecycle rules and the task queue: pure helpers, no WSGI."""

import json
import unittest
from datetime import datetime, timezone

from swift.common.middleware.s3api.etree import fromstring
from swift.common.middleware.s3api.s3response import InvalidArgument, \
    InvalidRequest, MalformedXML, S3NotImplemented

from swift3_multipart import lifecycle, tasks
from swift3_multipart.lifecycle import Rule, Abort

NS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"'


def config(*rules, ns=''):
    return ('<LifecycleConfiguration %s>%s</LifecycleConfiguration>' % (
        ns, ''.join(rules))).encode('utf8')


ABORT_ACTION = ('<AbortIncompleteMultipartUpload><DaysAfterInitiation>%s'
                '</DaysAfterInitiation></AbortIncompleteMultipartUpload>')


def rule(body='<Filter><Prefix>tmp/</Prefix></Filter>', status='Enabled',
         days='7', rule_id='r1', action=None):
    if action is None:
        action = ABORT_ACTION % days
    id_elem = '' if rule_id is None else '<ID>%s</ID>' % rule_id
    return '<Rule>%s%s<Status>%s</Status>%s</Rule>' % (
        id_elem, body, status, action)


def epoch(*args):
    return datetime(*args, tzinfo=timezone.utc).timestamp()


class TestParseConfiguration(unittest.TestCase):
    def assertRaisesCode(self, exc_class, body, max_days=0, message=None):
        with self.assertRaises(exc_class) as caught:
            lifecycle.parse_configuration(body, max_days)
        if message:
            self.assertIn(message, caught.exception._msg)
        return caught.exception

    def test_filter_prefix(self):
        self.assertEqual([Rule('r1', 'filter', 'tmp/', True, 7)],
                         lifecycle.parse_configuration(config(rule(), ns=NS)))

    def test_forms_of_filter(self):
        """
        https://docs.aws.amazon.com/AmazonS3/latest/API/API_LifecycleRule.html
        """
        for body, form, prefix in (
                ('<Prefix>old/</Prefix>', 'prefix', 'old/'),   # legacy
                ('<Prefix/>', 'prefix', ''),
                ('<Filter/>', 'empty', ''),                     # all keys
                ('<Filter><Prefix/></Filter>', 'filter', ''),
                ('<Filter><And><Prefix>a/</Prefix></And></Filter>',
                 'filter', 'a/')):
            with self.subTest(body=body):
                self.assertEqual(
                    [Rule('r1', form, prefix, True, 7)],
                    lifecycle.parse_configuration(config(rule(body))))

    def test_disabled_and_several_rules(self):
        rules = lifecycle.parse_configuration(config(
            rule(status='Disabled'), rule('<Filter/>', days='30',
                                          rule_id='all')))
        self.assertEqual([Rule('r1', 'filter', 'tmp/', False, 7),
                          Rule('all', 'empty', '', True, 30)], rules)

    def test_rule_without_id_gets_one(self):
        first, second = lifecycle.parse_configuration(config(
            rule(rule_id=None), rule(rule_id=None)))
        self.assertEqual(32, len(first.id))
        self.assertNotEqual(first.id, second.id)

    def test_malformed(self):
        for body in (b'', b'not xml', b'<LifecycleConfiguration>',
                     config(),                                  # no rule
                     b'<Other>%s</Other>' % rule().encode(),
                     config(rule(), '<Extra/>'),
                     config(rule(status='On')),
                     config(rule(status='')),
                     config(rule(body='')),                     # no filter
                     config(rule(body='<Prefix/><Filter/>')),   # both
                     config(rule(body='<Filter><Prefix>a</Prefix>'
                                      '<Prefix>b</Prefix></Filter>')),
                     config(rule(body='<Filter><Prefix>a</Prefix><And>'
                                      '</And></Filter>')),
                     config(rule(body='<Filter><Bad/></Filter>')),
                     config(rule(
                         body='<Filter><And><Bad/></And></Filter>')),
                     config(rule(body='<Prefix/><Color/>')),
                     config(rule(days='seven')),
                     config(rule(days='')),
                     config(rule('<ID>a</ID><Prefix/>', rule_id='b')),
                     config(*[rule(rule_id=str(n)) for n in range(1001)]),
                     b'<!DOCTYPE x [<!ENTITY e "x">]>' + config(rule())):
            with self.subTest(body=body[:80]):
                self.assertRaisesCode(MalformedXML, body)

    def test_comments_ignored(self):
        body = config('<!-- c -->', rule(body='<Filter><!-- c --></Filter>'))
        self.assertEqual([Rule('r1', 'empty', '', True, 7)],
                         lifecycle.parse_configuration(body))

    def test_days_must_be_positive(self):
        for days in ('0', '-1'):
            exc = self.assertRaisesCode(
                InvalidArgument, config(rule(days=days)),
                message="'DaysAfterInitiation' for "
                        "AbortIncompleteMultipartUpload action must be a "
                        "positive integer")
            self.assertEqual(days, exc.info['argument_value'])

    def test_days_over_ceiling(self):
        self.assertRaisesCode(InvalidArgument, config(rule(days='31')), 30,
                              message='must be at most 30 on this service')
        self.assertEqual(30, lifecycle.parse_configuration(
            config(rule(days='30')), 30)[0].days)

    def test_other_actions_not_implemented(self):
        for action in ('<Expiration><Days>1</Days></Expiration>',
                       '<Transition><Days>1</Days><StorageClass>GLACIER'
                       '</StorageClass></Transition>',
                       '<NoncurrentVersionExpiration><NoncurrentDays>1'
                       '</NoncurrentDays></NoncurrentVersionExpiration>',
                       '<NoncurrentVersionTransition/>',
                       '<Expiration><ExpiredObjectDeleteMarker>true'
                       '</ExpiredObjectDeleteMarker></Expiration>'):
            with self.subTest(action=action):
                # alone, or next to ours: never half-accepted
                for extra in ('', ABORT_ACTION % 7):
                    exc = self.assertRaisesCode(
                        S3NotImplemented, config(rule(action=action + extra)))
                    self.assertEqual('NotImplemented', exc._code)
                    name = action[1:].split('>')[0].rstrip('/')
                    self.assertIn(name, exc._msg)

    def test_rule_without_action(self):
        self.assertRaisesCode(
            InvalidRequest, config(rule(action='')),
            message='At least one action needs to be specified in a rule.')

    def test_tag_and_size_filters_refused(self):
        """AWS refuses these filters with AbortIncompleteMultipartUpload."""
        for body, what in (
                ('<Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter>',
                 'Tags'),
                ('<Filter><And><Prefix>a/</Prefix><Tag><Key>k</Key>'
                 '<Value>v</Value></Tag><Tag/></And></Filter>', 'Tags'),
                ('<Filter><ObjectSizeGreaterThan>5</ObjectSizeGreaterThan>'
                 '</Filter>', 'Object Size'),
                ('<Filter><And><ObjectSizeLessThan>5</ObjectSizeLessThan>'
                 '</And></Filter>', 'Object Size')):
            with self.subTest(body=body):
                self.assertRaisesCode(
                    InvalidRequest, config(rule(body)),
                    message='AbortIncompleteMultipartUpload cannot be '
                            'specified with %s.' % what)

    def test_rule_ids(self):
        self.assertRaisesCode(
            InvalidArgument, config(rule(), rule()),
            message='Rule ID must be unique. Found same ID for more than '
                    'one rule')
        self.assertRaisesCode(
            InvalidArgument, config(rule(rule_id='x' * 256)),
            message='ID length should not exceed allowed limit of 255')
        self.assertEqual(255, len(lifecycle.parse_configuration(
            config(rule(rule_id='x' * 255)))[0].id))


class TestStoredConfiguration(unittest.TestCase):
    RULES = [Rule('tmp', 'filter', 'tmp/', True, 7),
             Rule('old', 'prefix', 'old/', False, 30),
             Rule('all', 'empty', '', True, 90),
             Rule('\u00e9t\u00e9', 'filter', 'caf\u00e9\n/', True, 1)]

    def test_round_trip(self):
        value = lifecycle.to_sysmeta(self.RULES)
        value.encode('ascii')   # a header value
        self.assertNotIn('\n', value)
        self.assertEqual(self.RULES, lifecycle.from_sysmeta(value))
        self.assertEqual([], lifecycle.from_sysmeta(None))
        self.assertEqual([], lifecycle.from_sysmeta(''))

    def test_too_large(self):
        rules = [Rule('r%d' % n, 'filter', 'p' * 100, True, 1)
                 for n in range(40)]
        with self.assertRaises(InvalidRequest) as caught:
            lifecycle.to_sysmeta(rules)
        self.assertIn('at most 4096', caught.exception._msg)

    def test_document_as_put(self):
        body = lifecycle.configuration_xml(self.RULES)
        self.assertTrue(body.startswith(b'<?xml'))
        root = fromstring(body)
        self.assertEqual('LifecycleConfiguration', root.tag)
        rules = root.findall('./Rule')
        self.assertEqual(['ID', 'Filter', 'Status',
                          'AbortIncompleteMultipartUpload'],
                         [c.tag for c in rules[0]])
        self.assertEqual('tmp/', rules[0].find('./Filter/Prefix').text)
        self.assertEqual('old/', rules[1].find('./Prefix').text)
        self.assertEqual('Disabled', rules[1].find('./Status').text)
        self.assertEqual([], list(rules[2].find('./Filter')))
        self.assertEqual('90', rules[2].find(
            './AbortIncompleteMultipartUpload/DaysAfterInitiation').text)
        # and it parses back to the same rules
        self.assertEqual(self.RULES, lifecycle.parse_configuration(body))


class TestAbortDate(unittest.TestCase):
    def test_rounded_up_to_next_midnight_utc(self):
        """
        Created 2014-01-15 10:30 UTC, 3 days: 2014-01-19 00:00 UTC.
        https://docs.aws.amazon.com/AmazonS3/latest/userguide/intro-lifecycle-rules.html
        """
        self.assertEqual(epoch(2014, 1, 19), lifecycle.abort_epoch(
            epoch(2014, 1, 15, 10, 30), 3))
        self.assertEqual(epoch(2014, 1, 19), lifecycle.abort_epoch(
            epoch(2014, 1, 15, 23, 59, 59, 999999), 3))
        self.assertEqual(epoch(2014, 1, 19), lifecycle.abort_epoch(
            epoch(2014, 1, 15), 3))
        self.assertEqual(epoch(2014, 1, 1), lifecycle.abort_epoch(
            epoch(2013, 12, 31, 12), 0))

    def test_headers(self):
        self.assertEqual({
            'x-amz-abort-date': 'Sun, 19 Jan 2014 00:00:00 GMT',
            'x-amz-abort-rule-id': 'r1',
        }, lifecycle.abort_headers(Abort('r1', 3, epoch(2014, 1, 19))))


class TestAbortRule(unittest.TestCase):
    INITIATED = epoch(2026, 11, 21, 10, 30)
    RULES = [Rule('tmp', 'filter', 'tmp/', True, 7),
             Rule('tmp-fast', 'filter', 'tmp/fast/', True, 2),
             Rule('off', 'filter', 'off/', False, 1),
             Rule('tmp-again', 'prefix', 'tmp/', True, 7)]

    def abort(self, key, default_days=0, max_days=0, rules=None):
        return lifecycle.abort_rule(
            self.RULES if rules is None else rules, key, self.INITIATED,
            default_days, max_days)

    def test_matching_rule(self):
        self.assertEqual(Abort('tmp', 7, epoch(2026, 11, 29)),
                         self.abort('tmp/a'))

    def test_fewest_days_wins_then_first(self):
        self.assertEqual(Abort('tmp-fast', 2, epoch(2026, 11, 24)),
                         self.abort('tmp/fast/a'))
        # 'tmp' and 'tmp-again' tie: the first

    def test_no_rule(self):
        self.assertIsNone(self.abort('keep/a'))
        self.assertIsNone(self.abort('off/a'))   # disabled
        self.assertIsNone(self.abort('a', rules=[]))

    def test_cluster_default_where_no_rule(self):
        self.assertEqual(Abort('cluster-policy', 3, epoch(2026, 11, 25)),
                         self.abort('keep/a', default_days=3))
        self.assertEqual(Abort('cluster-policy', 3, epoch(2026, 11, 25)),
                         self.abort('off/a', default_days=3))
        # a rule wins over the default, even with more days
        self.assertEqual('tmp', self.abort('tmp/a', default_days=3).rule_id)

    def test_ceiling(self):
        # caps a rule, keeping its id
        self.assertEqual(Abort('tmp', 5, epoch(2026, 11, 27)),
                         self.abort('tmp/a', max_days=5))
        # applies where nothing else does
        self.assertEqual(Abort('cluster-policy', 5, epoch(2026, 11, 27)),
                         self.abort('keep/a', max_days=5))
        self.assertEqual(Abort('cluster-policy', 3, epoch(2026, 11, 25)),
                         self.abort('keep/a', default_days=3, max_days=5))


class TestTasks(unittest.TestCase):
    def test_names(self):
        name = tasks.task_name(epoch(2026, 11, 29), 'AUTH_test', 'bucket',
                               'VXBsb2Fk')
        self.assertEqual('1795910400-AUTH_test/bucket/VXBsb2Fk', name)
        container = tasks.task_container(name, epoch(2026, 11, 29))
        self.assertEqual(10, len(container))
        self.assertTrue(0 <= int(epoch(2026, 11, 29)) - int(container) < 100)
        self.assertEqual(tasks.hash_mod(name, 100),
                         int(epoch(2026, 11, 29)) - int(container))
        self.assertEqual('.s3api_mpu_expiring', tasks.TASK_ACCOUNT)

    def test_body_round_trip(self):
        name = '1795910400-AUTH_test/bucket/VXBsb2Fk'
        body = tasks.task_body('a/\u00e9/key', 3, 30)
        self.assertEqual({'key': 'a/\u00e9/key', 'default_days': 3,
                          'max_days': 30}, json.loads(body))
        self.assertEqual({
            'epoch': 1795910400, 'account': 'AUTH_test', 'bucket': 'bucket',
            'upload_id': 'VXBsb2Fk', 'key': 'a/\u00e9/key',
            'default_days': 3, 'max_days': 30,
        }, tasks.parse_task(name, body))

    def test_not_a_task(self):
        body = tasks.task_body('k', 0, 0)
        for name, body in (('junk', body),
                           ('x-AUTH_test/bucket/id', body),
                           ('1-AUTH_test//id', body),
                           ('1-AUTH_test/bucket/id', b'{}'),
                           ('1-AUTH_test/bucket/id', b'not json')):
            with self.subTest(name=name, body=body):
                with self.assertRaises(ValueError):
                    tasks.parse_task(name, body)
