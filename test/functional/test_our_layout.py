"""Uploads of our layout (``upload_layout = immutable``), s3_acl off: what
a client sees, and the four races of test_races, no fence, no settle."""

import io

from swift3_multipart import layout
from test.functional import our_layout, test_races, test_reaper

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
