"""A listing's last_modified as SLO records it and as ListParts shows it,
without a strptime per row (issue 11: a Complete of 10,000 parts spent
half its proxy time there)."""

import random
import unittest
from datetime import datetime, timedelta, timezone

from swift.common.middleware.s3api.utils import S3Timestamp

from swift3_multipart import manifest


def slow_slo(value):
    """What SLO stores: the Last-Modified, rounded up to the second."""
    if '.' not in value:
        value += '.000000'
    when = datetime.strptime(value, manifest.SLO_TIME_FORMAT).replace(
        tzinfo=timezone.utc)
    whole = when.replace(microsecond=0)
    if when != whole:
        whole += timedelta(seconds=1)
    return whole.strftime(manifest.SLO_TIME_FORMAT)


def slow_s3(value):
    if '.' not in value:
        value += '.000000'
    return S3Timestamp.from_isoformat(value).s3xmlformat


class TestListingTimes(unittest.TestCase):
    EDGES = ('2026-12-04T10:00:00.123450', '2026-12-04T10:00:00.000000',
             '2026-12-31T23:59:59.999990', '2026-12-04T10:00:00',
             '2026-12-04T10:00:00.000004', '2024-02-28T23:59:59.5',
             '1970-01-01T00:00:00.000010', '2026-12-31T23:59:59.000005')

    def values(self):
        rand = random.Random(11)
        for _ in range(3000):
            yield '%04d-%02d-%02dT%02d:%02d:%02d.%06d' % (
                rand.randint(1970, 2100), rand.randint(1, 12),
                rand.randint(1, 28), rand.randint(0, 23),
                rand.randint(0, 59), rand.randint(0, 59), rand.choice((
                    0, rand.randint(0, 99999) * 10,
                    rand.randint(0, 999999))))

    def test_slo(self):
        self.assertEqual('2027-01-01T00:00:00.000000',
                         manifest.slo_last_modified(
                             '2026-12-31T23:59:59.999990'))
        for value in self.EDGES + tuple(self.values()):
            self.assertEqual(slow_slo(value),
                             manifest.slo_last_modified(value), value)

    def test_s3(self):
        self.assertEqual('2026-12-04T10:00:01.000Z',
                         manifest.s3_last_modified(
                             '2026-12-04T10:00:00.123450'))
        # below Swift's 10 us, as S3Timestamp rounds it
        self.assertEqual('2026-12-04T10:00:00.000Z',
                         manifest.s3_last_modified(
                             '2026-12-04T10:00:00.000004'))
        for value in self.EDGES + tuple(self.values()):
            self.assertEqual(slow_s3(value),
                             manifest.s3_last_modified(value), value)
