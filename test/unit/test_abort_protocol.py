"""The Abort protocol of our layout (swift3_multipart.abort), checked
against every interleaving of two callers on a model of an object server.

The model keeps what the race depends on, and no more than Swift promises:

* a write is two steps: the object server checks the request's
  X-Timestamp against what it holds, and commits later (a slow disk sits
  in between), so two writes at one timestamp may both be accepted and
  the last to commit stays;
* a write not newer than what is held is refused;
* a DELETE leaves a tombstone that a HEAD's 404 reports;
* a read sees what is committed.

Each caller runs in a greenlet and hands over at every backend step; the
checker runs all schedules (depth first over the choices) and checks the
outcome of each against what S3 allows and against the stored state.
"""

import unittest

import greenlet

from swift3_multipart import abort

UPLOAD_ID = '2.176472000000000' + '0123456789abcdef'
OK = 'OK'
NO_SUCH_UPLOAD = 'NoSuchUpload'
PARTS = frozenset(['a1', 'a2'])
# (Complete, Abort): https://docs.aws.amazon.com/AmazonS3/latest/API/
# API_AbortMultipartUpload.html ("Abort" and "Complete" may both succeed)
COMPLETE_VS_ABORT = {(OK, OK), (OK, NO_SUCH_UPLOAD), (NO_SUCH_UPLOAD, OK)}


class Store(object):
    """One object server's view of one upload."""

    def __init__(self):
        self.record = True
        # (timestamp, live) of the abort record, or None
        self.abort_record = None
        self.manifest = None         # set of names, or None
        self.attempts = {'a1', 'a2', 'a3'}


class Scheduler(object):
    """Runs callers step by step, in the order ``choices`` gives (then
    the first runnable); records how many were runnable at each step."""

    def __init__(self, choices):
        self.choices = list(choices)
        self.widths = []
        self.callers = []

    def step(self):
        """Called by a caller before each backend step."""
        self.main.switch()

    def run(self, funcs):
        self.main = greenlet.getcurrent()
        results = [None] * len(funcs)

        def wrap(i, func):
            def body():
                results[i] = func()
            return body
        self.callers = [greenlet.greenlet(wrap(i, f))
                        for i, f in enumerate(funcs)]
        while True:
            live = [g for g in self.callers if not g.dead]
            if not live:
                return results
            self.widths.append(len(live))
            pick = self.choices.pop(0) if self.choices else 0
            live[pick].switch()


class ModelBackend(abort.Backend):
    def __init__(self, store, sched):
        self.store = store
        self.sched = sched

    def _write(self, timestamp, live):
        self.sched.step()
        held = self.store.abort_record
        if held is not None and held[0] >= timestamp:
            return          # refused (202)
        self.sched.step()   # the slow commit
        self.store.abort_record = (timestamp, live)

    def record_exists(self):
        self.sched.step()
        return self.store.record

    def delete_record(self):
        self.sched.step()
        self.store.record = False

    def aborted(self):
        self.sched.step()
        return self.store.abort_record is not None

    def write_abort_record(self, timestamp):
        self._write(timestamp, True)

    def manifest_segments(self):
        self.sched.step()
        return self.store.manifest

    def attempts(self):
        self.sched.step()
        return sorted(self.store.attempts)

    def delete(self, names):
        self.sched.step()
        gone = self.store.attempts & set(names)
        self.store.attempts -= gone
        return len(gone)

    # Complete's own steps (see controllers/completion.py)
    def put_manifest(self, names):
        self.sched.step()
        self.sched.step()   # check, then the slow commit
        self.store.manifest = set(names)

    def delete_manifest(self):
        self.sched.step()
        self.store.manifest = None


def complete(backend, may_complete=abort.may_complete):
    """What OurCompletion does once its parts checked out: write the
    manifest, read the abort record, stand or back off."""
    backend.put_manifest(PARTS)
    if not may_complete(backend):
        backend.delete_manifest()
        keep = backend.manifest_segments() or set()
        backend.delete([n for n in backend.attempts() if n not in keep])
        return NO_SUCH_UPLOAD
    backend.delete_record()
    keep = backend.manifest_segments() or set()
    backend.delete([n for n in backend.attempts() if n not in keep])
    return OK


def abort_answer(backend):
    return OK if abort.abort(backend, UPLOAD_ID).aborted else NO_SUCH_UPLOAD


def schedules(make_callers, limit=200000):
    """Every schedule of the callers ``make_callers(store, sched)`` makes:
    yields (store, results) of each."""
    pending = [[]]
    runs = 0
    while pending:
        prefix = pending.pop()
        store = Store()
        sched = Scheduler(prefix)
        results = sched.run(make_callers(store, sched))
        runs += 1
        if runs > limit:
            raise AssertionError('more than %d schedules' % limit)
        yield store, results
        # branch at every step after the prefix
        for depth in range(len(prefix), len(sched.widths)):
            for other in range(1, sched.widths[depth]):
                pending.append(prefix + [0] * (depth - len(prefix)) +
                               [other])


def check_complete_vs_abort(may_complete=abort.may_complete, first=False):
    """:returns: (schedules run, problems found); with ``first``, stop at
    the first problem."""
    def callers(store, sched):
        return [lambda: complete(ModelBackend(store, sched), may_complete),
                lambda: abort_answer(ModelBackend(store, sched))]
    problems = []
    runs = 0
    for store, (done, aborted) in schedules(callers):
        runs += 1
        seen = []
        if (done, aborted) not in COMPLETE_VS_ABORT:
            seen.append('outcome %s/%s' % (done, aborted))
        if done == OK and (store.manifest != PARTS or
                           not PARTS <= store.attempts):
            seen.append('Complete 200, object broken: manifest %s, attempts '
                        '%s' % (store.manifest, sorted(store.attempts)))
        if store.attempts - (store.manifest or set()):
            seen.append('attempts left: %s' % sorted(store.attempts))
        if store.record:
            seen.append('record left')
        if store.manifest and not store.manifest <= store.attempts:
            seen.append('a broken object is left')
        if seen:
            problems.append('%s/%s: %s' % (done, aborted, '; '.join(seen)))
            if first:
                break
    return runs, problems


class TestCompleteVsAbort(unittest.TestCase):
    def test_every_schedule(self):
        runs, problems = check_complete_vs_abort()
        self.assertGreater(runs, 100)
        self.assertEqual([], problems[:5])

    def test_the_checker_finds_a_complete_that_does_not_look(self):
        # a Complete that never reads the abort record: some schedule
        # answers 200 for an object whose parts the Abort deleted
        _runs, problems = check_complete_vs_abort(lambda backend: True,
                                                  first=True)
        self.assertTrue(any('object broken' in p for p in problems),
                        problems[:3])


class TestAborts(unittest.TestCase):
    def run_one(self, store=None, **attrs):
        store = store or Store()
        for name, value in attrs.items():
            setattr(store, name, value)
        sched = Scheduler([])
        result = sched.run([lambda: abort.abort(ModelBackend(store, sched),
                                                UPLOAD_ID)])[0]
        return store, result

    def test_abort(self):
        store, outcome = self.run_one()
        self.assertTrue(outcome.aborted)
        self.assertEqual(3, outcome.deleted)
        self.assertEqual(set(), store.attempts)
        self.assertFalse(store.record)
        # the abort record stays, at its timestamp
        self.assertEqual((abort.record_timestamp(UPLOAD_ID), True),
                         store.abort_record)

    def test_completed_first(self):
        # Complete removed the record; there is no abort record
        store, outcome = self.run_one(record=False, manifest={'a1', 'a2'})
        self.assertFalse(outcome.aborted)
        self.assertEqual({'a1', 'a2', 'a3'}, store.attempts)

    def test_a_manifest_keeps_its_parts(self):
        store, outcome = self.run_one(manifest={'a1', 'a3'})
        self.assertTrue(outcome.aborted)
        self.assertEqual({'a1', 'a3'}, store.attempts)

    def test_interrupted_abort_is_finished_by_the_next(self):
        # the first wrote the abort record, removed the record, stopped
        store, outcome = self.run_one(
            record=False,
            abort_record=(abort.record_timestamp(UPLOAD_ID), True))
        self.assertEqual(3, outcome.deleted)
        self.assertTrue(outcome.aborted)
        self.assertTrue(store.abort_record[1])

    def test_repeat(self):
        store, first = self.run_one()
        self.assertTrue(first.aborted)
        store.attempts = {'late'}     # a racing UploadPart's attempt
        _, again = self.run_one(store)
        self.assertTrue(again.aborted)
        self.assertEqual(set(), store.attempts)
        _, third = self.run_one(store)
        self.assertFalse(third.aborted)

    def test_never_created(self):
        store, outcome = self.run_one(record=False)
        self.assertFalse(outcome.aborted)
        self.assertIsNone(store.abort_record)
        self.assertEqual(3, len(store.attempts))

    def test_sweep_of_a_completed_upload(self):
        # Complete removed the record; a late attempt lies beside its parts
        store = Store()
        store.record = False
        store.manifest = {'a1', 'a2'}
        sched = Scheduler([])
        outcome = sched.run([lambda: abort.abort(
            ModelBackend(store, sched), UPLOAD_ID, sweep=True)])[0]
        self.assertEqual(1, outcome.deleted)
        self.assertEqual({'a1', 'a2'}, store.attempts)
        # the flag went first
        self.assertTrue(store.abort_record[1])

    def test_sweep_leaves_an_upload_in_progress(self):
        store = Store()
        sched = Scheduler([])
        outcome = sched.run([lambda: abort.abort(
            ModelBackend(store, sched), UPLOAD_ID, sweep=True)])[0]
        self.assertEqual((False, 0), (outcome.aborted, outcome.deleted))
        self.assertTrue(store.record)
        self.assertIsNone(store.abort_record)


class TestSweepVsComplete(unittest.TestCase):
    def test_every_schedule(self):
        # a Complete still under way when the record is gone already (a
        # sibling stood): whatever the order, no 200 for a broken object
        def callers(store, sched):
            store.record = False
            return [lambda: complete(ModelBackend(store, sched)),
                    lambda: abort.abort(ModelBackend(store, sched),
                                        UPLOAD_ID, sweep=True)]
        runs = 0
        for store, (done, _) in schedules(callers):
            runs += 1
            if done == OK:
                self.assertEqual(PARTS, store.manifest)
                self.assertLessEqual(PARTS, store.attempts)
            else:
                self.assertIsNone(store.manifest)
        self.assertGreater(runs, 100)
