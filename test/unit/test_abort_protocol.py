"""The Abort protocol of our layout (swift3_multipart.abort), against a
model of the object servers' one rule it relies on: a PUT that is not newer
than what a server holds is refused."""

import unittest

from swift3_multipart import abort, layout

UPLOAD_ID = '2.176472000000000' + '0123456789abcdef'


class Store(object):
    """What the object servers hold of one upload, newest-wins."""

    def __init__(self):
        self.record = True
        self.abort_record = None     # (timestamp, state)
        self.manifest = None         # set of names, or None
        self.attempts = ['a1', 'a2', 'a3']
        self.writes = []

    def put_state(self, state, timestamp):
        self.writes.append(state)
        if self.abort_record is None or timestamp > self.abort_record[0]:
            self.abort_record = (timestamp, state)


class ModelBackend(abort.Backend):
    def __init__(self, store, before_read_key=None):
        self.store = store
        # runs once, just before this caller reads the key: the place
        # where another caller may interleave
        self.before_read_key = before_read_key

    def record_exists(self):
        return self.store.record

    def delete_record(self):
        self.store.record = False

    def abort_state(self):
        if self.store.abort_record is None:
            return None
        return self.store.abort_record[1]

    def write_abort_state(self, state, timestamp):
        self.store.put_state(state, timestamp)

    def manifest_segments(self):
        hook, self.before_read_key = self.before_read_key, None
        if hook:
            hook()
        return self.store.manifest

    def attempts(self):
        return list(self.store.attempts)

    def delete(self, names):
        gone = [n for n in names if n in self.store.attempts]
        self.store.attempts = [n for n in self.store.attempts
                               if n not in names]
        return len(gone)


class TestAbortProtocol(unittest.TestCase):
    def test_abort(self):
        store = Store()
        outcome = abort.abort(ModelBackend(store), UPLOAD_ID)
        self.assertTrue(outcome.aborted)
        self.assertEqual(3, outcome.deleted)
        self.assertEqual(['aborting', 'deletes'], store.writes)
        self.assertFalse(store.record)

    def test_completed_first(self):
        store = Store()
        store.record = False   # Complete removed it, no abort record
        store.manifest = {'a1', 'a2'}
        outcome = abort.abort(ModelBackend(store), UPLOAD_ID)
        self.assertFalse(outcome.aborted)
        self.assertEqual(['a1', 'a2', 'a3'], store.attempts)

    def test_complete_lands_before_abort_reads_the_key(self):
        store = Store()

        def complete():
            store.manifest = {'a1', 'a3'}
        outcome = abort.abort(ModelBackend(store, complete), UPLOAD_ID)
        self.assertFalse(outcome.aborted)
        self.assertEqual(['a1', 'a3'], store.attempts)
        self.assertEqual(layout.ABORT_KEEPS, store.abort_record[1])

    def test_two_aborts_reading_differently_follow_the_first(self):
        # A1 reads the key before a Complete's manifest lands and decides
        # to delete; A2, finishing A1's abort, reads it after: it must not
        # answer "kept" and leave the Complete believing its object lives.
        store = Store()
        second = []

        def a2_runs_first():
            # A2 sees the record gone and "aborting", reads no manifest
            # either, decides "deletes" (first); then the manifest lands
            second.append(abort.abort(ModelBackend(store), UPLOAD_ID))
            store.manifest = {'a1'}
        first = abort.abort(ModelBackend(store, a2_runs_first), UPLOAD_ID)
        # A1 read the manifest and wanted "keeps", but the stored decision
        # is A2's "deletes": A1 follows it
        self.assertEqual(layout.ABORT_DELETES, store.abort_record[1])
        self.assertTrue(second[0].aborted)
        self.assertTrue(first.aborted)
        self.assertEqual([], store.attempts)

    def test_state_never_goes_back(self):
        store = Store()
        store.put_state(layout.ABORT_KEEPS, abort.state_timestamp(
            UPLOAD_ID, layout.ABORT_KEEPS))
        store.put_state(layout.ABORTING, abort.state_timestamp(
            UPLOAD_ID, layout.ABORTING))
        self.assertEqual(layout.ABORT_KEEPS, store.abort_record[1])
        # and a second decision at the same timestamp does not replace it
        store.put_state(layout.ABORT_DELETES, abort.state_timestamp(
            UPLOAD_ID, layout.ABORT_DELETES))
        self.assertEqual(layout.ABORT_KEEPS, store.abort_record[1])

    def test_interrupted_abort_is_finished_by_the_next(self):
        store = Store()
        store.record = False
        store.put_state(layout.ABORTING, abort.state_timestamp(
            UPLOAD_ID, layout.ABORTING))
        outcome = abort.abort(ModelBackend(store), UPLOAD_ID)
        self.assertTrue(outcome.aborted)
        self.assertEqual([], store.attempts)

    def test_repeat_after_deletes(self):
        store = Store()
        abort.abort(ModelBackend(store), UPLOAD_ID)
        store.attempts = ['late']     # a racing UploadPart's attempt
        self.assertTrue(abort.abort(ModelBackend(store), UPLOAD_ID).aborted)
        self.assertEqual([], store.attempts)
        self.assertFalse(abort.abort(ModelBackend(store), UPLOAD_ID).aborted)

    def test_never_created(self):
        store = Store()
        store.record = False
        outcome = abort.abort(ModelBackend(store), UPLOAD_ID)
        self.assertFalse(outcome.aborted)
        self.assertEqual([], store.writes)
        self.assertEqual(3, len(store.attempts))
