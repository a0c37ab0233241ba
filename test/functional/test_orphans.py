"""No orphaned bytes after scripted S3 operations and one reaper pass.

The scenarios, the reaper pass and the measure are bench/orphans.py's (run
it alone for the table): every byte left in ``<bucket>+segments`` must be
needed by a live object (any version) or an upload in progress, measured
without our code and by the audit tool, and every object and upload the
scenarios left must read back as they left it.
"""

import importlib.util
import os
import unittest

from test.functional import figures
from test.functional.base import saio
# pytest registers the summary hook through this fixture
from test.functional.figures import print_figures  # noqa: F401

BENCH = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), 'bench', 'orphans.py')


def load_orphans():
    spec = importlib.util.spec_from_file_location('orphans', BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


orphans = load_orphans()


class TestOrphans(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.result, cls.player = orphans.run(saio())
        result = cls.result
        figures.record('orphans', '%d scenarios, one reaper pass: orphaned '
                       'bytes %d (audit tool: %d); %d objects and %d '
                       'uploads checked, %d lost' % (
                           len(result['scenarios']),
                           result['orphaned_bytes'],
                           result['audit_orphan_bytes'],
                           len(cls.player.live),
                           len(cls.player.uploads) + len(cls.player.gone),
                           result['lost']))

    @classmethod
    def tearDownClass(cls):
        cls.player.delete_buckets()

    def check(self, scenario):
        row = {r['scenario']: r for r in self.result['scenarios']}[scenario]
        self.assertEqual((0, []), (row['orphan_bytes'], row['orphans']))
        self.assertEqual(0, row['audit_orphan_bytes'])
        self.assertEqual([], row['lost'])

    def test_every_scenario_checked(self):
        self.assertEqual(
            sorted('test_' + name for name, _ in orphans.SCENARIOS),
            sorted(name for name in dir(self) if name.startswith('test_')
                   and name != 'test_every_scenario_checked'))
        self.assertGreaterEqual(self.result['reaper']['aborted'], 1)

    def test_overwrite_by_complete(self):
        self.check('overwrite_by_complete')

    def test_overwrite_by_put(self):
        self.check('overwrite_by_put')

    def test_overwrite_by_copy(self):
        self.check('overwrite_by_copy')

    def test_delete(self):
        self.check('delete')

    def test_abort(self):
        self.check('abort')

    def test_complete_omits_parts(self):
        self.check('complete_omits_parts')

    def test_abort_racing_parts(self):
        self.check('abort_racing_parts')

    # A repeated Abort in a versioned bucket frees nothing (an old version
    # might be the upload's manifest): the first Abort must leave no part
    # behind. It removes the marker first, so that no UploadPart commits
    # after it, and waits the settle time for those that got past their
    # check before it lists the parts (see controllers/fence.py).
    def test_abort_racing_parts_versioned(self):
        self.check('abort_racing_parts_versioned')

    def test_versioned_overwrite(self):
        self.check('versioned_overwrite')

    def test_suspended_overwrite(self):
        self.check('suspended_overwrite')

    def test_abandoned_upload(self):
        self.check('abandoned_upload')

    def test_in_progress(self):
        self.check('in_progress')
