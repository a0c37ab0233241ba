"""Races between two requests on one multipart upload.

Four races, ``S3MP_RACE_TRIALS`` trials each (100 by default), each trial on
a new upload of its own key: Complete vs Abort, Complete vs an UploadPart
that replaces a listed part with other bytes, two Completes with different
part lists, Abort vs UploadPart. Two threads wait on a barrier, sleep a
random jitter (so that both orders happen, and overlaps in between) and
fire; three trials run at a time. Then:

* the pair of answers must be one AWS allows (the sets below, with the
  AWS pages they come from);
* whenever a Complete answered 200, the object reads back with exactly the
  bytes of the parts that Complete listed (the object's ETag tells which
  Complete wrote it last);
* an upload that is gone is not listed by ListMultipartUploads, and
  ``<bucket>+segments`` keeps nothing of it but the completed object's
  segments (after Abort vs UploadPart, a second Abort frees a part the
  racing UploadPart wrote, as AWS says one may have to abort again).

Every problem of every trial is collected; a race fails at its end with
how often and what was seen. The run prints ``races: <race>: N trials ...;
outcomes {...}; bytes lost = N`` per race and a total.
"""

import collections
import os
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from botocore.exceptions import ClientError

from swift3_multipart import layout, storage
from swift3_multipart.storage import manifest_segments
from test.functional import extra_saio, figures
from test.functional.base import BucketTestCase, MIN_PART, client, \
    error_code, aws_multipart_etag, saio
from test.functional.figures import print_figures  # noqa: F401

TRIALS = int(os.environ.get('S3MP_RACE_TRIALS', '100'))
SEED = int(os.environ.get('S3MP_RACE_SEED', '20241121'))
# trials at a time (each of two threads)
WORKERS = 3
# seconds one of the two threads waits after the barrier: more than one
# request takes here (50-100 ms), so that either may also come first
JITTER = 0.12
# seconds a listing may lag a write before a leftover counts
SETTLE = 3.0
OK = 'OK'
NO_SUCH_UPLOAD = 'NoSuchUpload'
INVALID_PART = 'InvalidPart'
TOTALS = collections.Counter()

# (Complete, Abort). Abort "aborts a multipart upload"; a Complete that
# comes after it finds NoSuchUpload. A Complete that wins makes a later
# Abort NoSuchUpload ("the upload may have been aborted or completed").
# While Abort is freeing the parts, a Complete may find a listed part gone:
# InvalidPart, "one or more of the specified parts could not be found".
# https://docs.aws.amazon.com/AmazonS3/latest/API/API_AbortMultipartUpload.html
# https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html
COMPLETE_VS_ABORT = {(OK, OK), (OK, NO_SUCH_UPLOAD), (NO_SUCH_UPLOAD, OK),
                     (INVALID_PART, OK)}
# (Complete, UploadPart of a listed part number with other bytes). "If you
# upload a new part using the same part number ... the previously uploaded
# part is overwritten": before Complete checked it, the listed ETag no
# longer matches (InvalidPart); after Complete, the upload is gone
# (NoSuchUpload); in between, the UploadPart may succeed but the object is
# still the listed parts.
# https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPart.html
COMPLETE_VS_UPLOAD_PART = {(OK, OK), (OK, NO_SUCH_UPLOAD),
                           (INVALID_PART, OK)}
# (Complete of all parts, Complete of a subset). The one that comes second
# finds the upload completed (NoSuchUpload) or, if it checked the parts in
# time, writes the object as well (last writer wins). A Complete frees the
# parts its list left out: the other may then find a listed part gone.
TWO_COMPLETES = {(OK, OK), (OK, NO_SUCH_UPLOAD), (NO_SUCH_UPLOAD, OK),
                 (OK, INVALID_PART), (INVALID_PART, OK)}
# (Abort, UploadPart). "If any part uploads are currently in progress,
# those part uploads might or might not succeed."
ABORT_VS_UPLOAD_PART = {(OK, OK), (OK, NO_SUCH_UPLOAD)}


def outcome(func):
    """OK, or the S3 error code of the answer."""
    try:
        func()
        return OK
    except ClientError as err:
        return error_code(err)
    except Exception as err:
        return 'exception %s: %s' % (type(err).__name__, err)


def fire(first, second, jitters):
    """Run both at once (barrier, then a jitter each): their outcomes."""
    barrier = threading.Barrier(2)
    results = [None, None]

    def run(i, func):
        barrier.wait()
        time.sleep(jitters[i])
        results[i] = outcome(func)

    thread = threading.Thread(target=run, args=(1, second))
    thread.start()
    run(0, first)
    thread.join()
    return tuple(results)


def settled(check):
    """True once ``check()`` is, within SETTLE seconds (listings lag)."""
    deadline = time.time() + SETTLE
    while not check():
        if time.time() > deadline:
            return False
        time.sleep(0.1)
    return True


class Trial(object):
    """One upload of its own key, and what went wrong with it."""

    def __init__(self, case, number, part_count):
        self.case = case
        self.s3 = case.s3
        self.bucket = case.bucket
        self.rng = random.Random('%d %s %d' % (SEED, case.id(), number))
        self.key = 'race-%04d' % number
        self.upload_id = case.create(self.key)
        self.data = {}
        self.parts = {}
        for n in range(1, part_count + 1):
            self.data[n] = self.rng.randbytes(
                MIN_PART + self.rng.randrange(2048))
            self.parts[n] = case.upload(self.upload_id, n, self.data[n],
                                        key=self.key)
        # (part number, bytes) that a racing UploadPart sends
        self.replacement = None
        self.outcomes = None
        self.problems = []
        self.notes = []

    def fire(self, first, second, allowed):
        """Race the two; check the pair of outcomes against ``allowed``."""
        # one side waits a while, the other at most a little
        jitters = [self.rng.uniform(0, self.case.jitter),
                   self.rng.uniform(0, 0.01)]
        self.rng.shuffle(jitters)
        self.outcomes = fire(first, second, jitters)
        if self.outcomes not in allowed:
            self.problems.append('outcome not allowed')
        return self.outcomes

    def part_names(self, numbers):
        """The segments names of these parts: for our layout, the attempts
        of them that the object names (all of them if there is none)."""
        if not layout.is_ours(self.upload_id):
            return {'%s/%s/%d' % (self.key, self.upload_id, n)
                    for n in numbers}
        prefix = layout.parts_prefix(self.key, self.upload_id)
        named = self.case.manifest_names(self.key)
        return {name for name in self.segments()
                if (layout.attempt_of(name, prefix) or (None,))[0] in numbers
                and (named is None or name in named)}

    def complete(self, numbers):
        return lambda: self.case.complete(
            self.upload_id, [self.parts[n] for n in numbers], key=self.key)

    def abort(self):
        return lambda: self.s3.abort_multipart_upload(
            Bucket=self.bucket, Key=self.key, UploadId=self.upload_id)

    def upload_part(self, number, data):
        return lambda: self.case.upload(self.upload_id, number, data,
                                        key=self.key)

    def check_object(self, winners):
        """
        The object is the parts one of ``winners`` (lists of part numbers
        whose Complete answered 200) listed, byte for byte.

        :returns: that list, or None if bytes were lost.
        """
        etags = {aws_multipart_etag([self.data[n] for n in numbers]): numbers
                 for numbers in winners}
        try:
            got = self.s3.get_object(Bucket=self.bucket, Key=self.key)
            etag, body = got['ETag'], got['Body'].read()
        except Exception as err:
            self.problems.append('bytes lost: GET failed (%s): %s' % (
                self.manifest_of(etags), err))
            return None
        numbers = etags.get(etag)
        if numbers is None:
            self.problems.append('bytes lost: object has ETag %s of none of '
                                 'the successful lists %s' % (etag, winners))
            return None
        wanted = b''.join(self.data[n] for n in numbers)
        if body != wanted:
            self.problems.append(
                'bytes lost: object of parts %s reads %d bytes, not the %d '
                'listed (%s)' % (list(numbers), len(body), len(wanted),
                                 self.which_bytes(body)))
            return None
        return numbers

    def manifest_of(self, etags):
        """Which list the object's manifest names (HEAD reads no part)."""
        try:
            etag = self.s3.head_object(Bucket=self.bucket,
                                       Key=self.key)['ETag']
        except ClientError as err:
            return 'HEAD: %s' % error_code(err)
        if etag in etags:
            return 'manifest of parts %s' % list(etags[etag])
        return 'manifest ETag %s' % etag

    def which_bytes(self, body):
        """Whether the object took the racing UploadPart's bytes."""
        if self.replacement and self.replacement[1] in body:
            return 'has the racing UploadPart bytes of part %d' % (
                self.replacement[0])
        return 'not made of the racing UploadPart bytes'

    def check_completed(self, done, numbers):
        """
        After a Complete of ``numbers`` answered ``done``: if OK, the object
        and its segments; else that there is no object.

        :returns: True if the Complete succeeded.
        """
        if done != OK:
            self.check_no_object()
            return False
        self.check_object([numbers])
        self.check_gone(self.part_names(numbers))
        return True

    def check_no_object(self):
        try:
            self.s3.head_object(Bucket=self.bucket, Key=self.key)
            self.problems.append('an object exists but no Complete succeeded')
        except ClientError as err:
            if error_code(err) not in ('404', 'NoSuchKey'):
                self.problems.append('HEAD object: %s' % error_code(err))

    def listed(self):
        uploads = self.s3.list_multipart_uploads(
            Bucket=self.bucket, Prefix=self.key).get('Uploads', [])
        return any(u['UploadId'] == self.upload_id for u in uploads)

    def segments(self):
        """The upload's marker and parts in the segments container (not
        the abort record of our layout: it stays)."""
        return self.case.segments_of('%s/%s' % (
            self.key, self.upload_id)) - {
                layout.abort_record_name(self.key, self.upload_id)}

    def check_gone(self, kept=frozenset()):
        """Not listed as in progress; of its segments only ``kept`` (of
        our layout: once the reaper's sweep of it ran, which a Complete
        queues for the attempts it left)."""
        if not settled(lambda: not self.listed()):
            self.problems.append('still listed by ListMultipartUploads')
        if layout.is_ours(self.upload_id):
            self.case.sweep(self.key, self.upload_id)
        if not settled(lambda: self.segments() == kept):
            self.problems.append('+segments has %s, wanted %s' % (
                sorted(self.segments()), sorted(kept)))

    def check_in_progress(self):
        """No Complete succeeded: still listed; then abort it."""
        if not self.listed():
            self.problems.append('no Complete succeeded but the upload is '
                                 'not listed')
        self.abort()()
        self.check_gone()


class TestRaces(BucketTestCase):
    """https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html
    https://docs.aws.amazon.com/AmazonS3/latest/API/API_AbortMultipartUpload.html
    https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPart.html
    """
    trials = TRIALS
    # what the figures call the SAIO
    label = 'stock layout'
    workers = WORKERS
    jitter = JITTER

    def setUp(self):
        super(TestRaces, self).setUp()
        # boto3's clients are thread-safe: one for all threads
        self.s3 = client(max_pool_connections=2 * self.workers + 2)
        self.ic = saio().internal_client()
        self.ic_lock = threading.Lock()
        self.account = saio().env()['accounts']['test:tester']

    def segments_of(self, prefix):
        with self.ic_lock:
            return {o['name'] for o in self.ic.iter_objects(
                self.account, self.bucket + '+segments', prefix=prefix)}

    def sweep(self, key, upload_id):
        """What the reaper's task of a finished upload of ours does."""
        with self.ic_lock:
            storage.sweep_upload(self.ic, self.account, self.bucket, key,
                                 upload_id)

    def manifest_names(self, key):
        """The segment names the key's manifest lists, or None."""
        with self.ic_lock:
            names = manifest_segments(self.ic, self.account, self.bucket,
                                      key)
        prefix = '/%s+segments/' % self.bucket
        return {n[len(prefix):] for n in names} if names else None

    def run_race(self, name, part_count, race):
        """Run ``race(trial)`` on TRIALS new uploads; fail on any problem."""
        def one(number):
            trial = Trial(self, number, part_count)
            race(trial)
            return trial

        start = time.time()
        with ThreadPoolExecutor(self.workers) as pool:
            trials = list(pool.map(one, range(self.trials)))
        outcomes = collections.Counter(t.outcomes for t in trials)
        notes = collections.Counter(n for t in trials for n in t.notes)
        failed = [t for t in trials if t.problems]
        lost = sum(1 for t in failed
                   if any(p.startswith('bytes lost') for p in t.problems))
        TOTALS['races'] += self.trials
        figures.record('races', '%s, %s: %d trials in %.0fs; outcomes %s; '
                       'bytes lost = %d; other problems = %d%s' % (
                           self.label, name, self.trials, time.time() - start,
                           ', '.join('%s/%s %d' % (a, b, n) for (a, b), n in
                                     sorted(outcomes.items())),
                           lost, len(failed) - lost,
                           ''.join('; %s %d' % kv for kv in
                                   sorted(notes.items()))))
        TOTALS['bytes lost'] += lost
        TOTALS['failed trials'] += len(failed)
        if failed:
            self.fail('%s: %d of %d trials went wrong (first 10 shown):\n%s'
                      % (name, len(failed), self.trials, '\n'.join(
                          '%s, outcomes %s/%s: %s' % (
                              t.key, t.outcomes[0], t.outcomes[1],
                              '; '.join(t.problems)) for t in failed[:10])))

    def test_complete_vs_abort(self):
        def race(trial):
            done, _ = trial.fire(trial.complete((1, 2)), trial.abort(),
                                 COMPLETE_VS_ABORT)
            if not trial.check_completed(done, (1, 2)):
                trial.check_gone()
        self.run_race('Complete vs Abort', 2, race)

    def test_complete_vs_upload_part_of_listed_part(self):
        def race(trial):
            number = trial.rng.choice((1, 2))
            trial.replacement = (number, trial.rng.randbytes(
                len(trial.data[number])))
            done, _ = trial.fire(trial.complete((1, 2)),
                                 trial.upload_part(*trial.replacement),
                                 COMPLETE_VS_UPLOAD_PART)
            if not trial.check_completed(done, (1, 2)):
                trial.check_in_progress()
        self.run_race('Complete vs UploadPart of a listed part', 2, race)

    def test_two_completes_with_different_lists(self):
        def race(trial):
            lists = ((1, 2, 3), tuple(sorted(trial.rng.sample((1, 2, 3), 2))))
            outcomes = trial.fire(trial.complete(lists[0]),
                                  trial.complete(lists[1]), TWO_COMPLETES)
            winners = [numbers for numbers, got in zip(lists, outcomes)
                       if got == OK]
            if not winners:
                trial.check_no_object()
                trial.check_in_progress()
                return
            numbers = trial.check_object(winners)
            if numbers:
                trial.check_gone(trial.part_names(numbers))
                trial.notes.append('object of %s' % (
                    'all parts' if numbers == lists[0] else 'a subset'))
        self.run_race('two Completes with different part lists', 3, race)

    def test_abort_vs_upload_part(self):
        def race(trial):
            # a listed part again, or a new one
            number = trial.rng.choice((1, 3))
            _, uploaded = trial.fire(
                trial.abort(),
                trial.upload_part(number, trial.rng.randbytes(MIN_PART)),
                ABORT_VS_UPLOAD_PART)
            trial.check_no_object()
            if not settled(lambda: not trial.listed()):
                trial.problems.append('still listed by ListMultipartUploads')
            left = trial.segments()
            if not left:
                return
            if uploaded != OK or left != trial.part_names([number]):
                trial.problems.append('+segments has %s after Abort and '
                                      'UploadPart %s' % (sorted(left),
                                                         uploaded))
            # "it might be necessary to abort a given multipart upload
            # multiple times in order to completely free all storage"
            trial.notes.append('parts freed by a second Abort')
            again = outcome(trial.abort())
            if again != OK:
                trial.problems.append('second Abort: %s' % again)
            trial.check_gone()
        self.run_race('Abort vs UploadPart', 2, race)


# the stock layout (TestRaces here); test_our_layout.py and
# test_our_races_slow.py race ours
_stock_setup, _stock_teardown = extra_saio.stock_layout()


def setUpModule():
    _stock_setup()


def tearDownModule():
    _stock_teardown()
    if TOTALS:
        figures.record('races', 'all: %d races run, bytes lost = %d, '
                       'trials with problems = %d' % (
                           TOTALS['races'], TOTALS['bytes lost'],
                           TOTALS['failed trials']))
