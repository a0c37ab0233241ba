"""Uploads of our layout (``upload_layout = immutable``), s3_acl off: what
a client sees, and the four races of test_races, no fence, no settle."""

import io

from swift3_multipart import layout
from test.functional import our_layout, test_cleanup, test_races, \
    test_reaper
from test.functional.base import MIN_PART

# on the session SAIO: our layout is the default


class TestOurUploads(our_layout.OurUploads):
    pass


class TestOurRaces(test_races.TestRaces):
    # fewer than the stock layout's: the session runs those too
    trials = min(test_races.TRIALS, 40)
    label = 'our layout'


class TestOurReaper(test_reaper.TestReaper):
    """The reaper aborts uploads of ours as Abort does."""


class TestOurAudit(test_reaper.TestAudit):
    """The audit tool counts uploads of ours from the index, and frees
    their orphans by the protocol of Abort."""

    def test_orphan_attempts_of_ours(self):
        # an attempt of an upload of ours whose record is gone
        lost = layout.new_upload_id()
        name = '%s%05d/%021d' % (layout.parts_prefix('lost', lost), 1, 1)
        self.ic.upload_object(io.BytesIO(b'o' * 77), self.account,
                              self.bucket + '+segments', name)
        report = self.audit()
        self.assertEqual([name], report['orphan_list'])
        self.assertEqual(77, report['orphan_bytes'])
        report = self.audit('--delete-orphans')
        self.assertEqual((1, 77), (report['deleted_orphan_parts'],
                                   report['deleted_orphan_bytes']))
        self.assertNotIn(name, self.segments())
        # and nothing else of it but the abort record the sweep wrote first
        self.assertEqual([layout.abort_record_name('lost', lost)],
                         [n for n in self.segments() if lost in n])
        self.assertEqual(b'done', self.read('tmp/done'))


class TestOurCleanup(test_cleanup.TestCleanup):
    """test_cleanup's cases on uploads of our layout, told by the parts
    stored (attempt names are the proxy's), not by their names."""

    def test_complete_frees_parts_left_out(self):
        # left to the reaper's sweep, sweep_delay after the Complete
        upload_id = self.mpu(numbers=(1, 2, 3), complete=(1, 3))
        self.assertEqual({('obj', upload_id): [1, 2, 3]}, self.stored_parts())
        self.reap(later=3700)
        self.assertEqual({('obj', upload_id): [1, 3]}, self.stored_parts())
        self.assertEqual(2 * MIN_PART, len(self.read()))

    def test_complete_over_multipart_object(self):
        self.mpu()
        second = self.mpu()
        self.assertEqual({('obj', second): [1, 2]}, self.stored_parts())
        self.assertEqual(2 * MIN_PART, len(self.read()))

    def test_put_and_copy_over_multipart_object(self):
        self.mpu()
        self.s3.put_object(Bucket=self.bucket, Key='obj', Body=b'plain')
        self.assertEqual({}, self.stored_parts())
        self.mpu()
        self.s3.put_object(Bucket=self.bucket, Key='src', Body=b'source')
        self.s3.copy_object(Bucket=self.bucket, Key='obj',
                            CopySource={'Bucket': self.bucket, 'Key': 'src'})
        self.assertEqual({}, self.stored_parts())
        self.assertEqual(b'source', self.read())

    def test_other_keys_untouched(self):
        other = self.mpu('other')
        in_progress = self.mpu('busy', numbers=(1,), complete=())
        self.mpu()
        self.s3.put_object(Bucket=self.bucket, Key='obj', Body=b'plain')
        self.assertEqual({('other', other): [1, 2],
                          ('busy', in_progress): [1]}, self.stored_parts())
        self.assertEqual(2 * MIN_PART, len(self.read('other')))

    def straggler(self, upload_id):
        return layout.attempt_name('obj', upload_id, 7, layout.new_attempt())

    def left_by_abort(self, upload_id):
        # the abort record stays (0 bytes; see swift3_multipart/abort.py)
        return [layout.abort_record_name('obj', upload_id)]
