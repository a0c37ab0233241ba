"""swift3-multipart-reaper and the free-late protocol
(swift3_multipart.protocol), through the InternalClient
(swift3_multipart.client_backend): a due lifecycle abort of an upload of
our layout ends it and queues its free task; a free task frees what no
manifest at the key names, once the upload has ended."""

import json
from urllib.parse import quote, urlencode

from swift.common.middleware.versioned_writes.object_versioning import \
    build_versions_object_name
from swift.common.utils.timestamp import Timestamp

from swift3_multipart import layout, tasks
from swift3_multipart.client_backend import DELETE_MARKER
from test.unit.fake_ic import listing_path, register_listing, \
    register_task_put, row
from test.unit.test_reaper import ReaperTestCase, task, INITIATED, NOW, \
    BUCKET, KEY, SEGMENTS, LIFECYCLE, TASKS, ANCHOR, UPLOAD_ID, \
    MARKER, PARTS_PREFIX

OUR_ID = layout.new_upload_id(Timestamp(INITIATED + 0.12345))
INDEX = '/v1/AUTH_test/' + layout.index_container('bucket')
RECORD = INDEX + '/' + layout.record_name(KEY, OUR_ID)
PREFIX = layout.parts_prefix(KEY, OUR_ID)
# what a build before issue 21 wrote at an Abort: freed with the attempts
ABORT_RECORD = layout.abort_record_name(KEY, OUR_ID)
# part 1 twice (the second attempt is the one completed), part 2 once
ATTEMPTS = [PREFIX + '00001/%021d' % 1, PREFIX + '00001/%021d' % 2,
            PREFIX + '00002/%021d' % 3]
SIZES = {ATTEMPTS[0]: 5, ATTEMPTS[1]: 7, ATTEMPTS[2]: 11, ABORT_RECORD: 0}
OBJ = BUCKET + '/' + KEY
MANIFEST_GET = OBJ + '?multipart-manifest=get'
SLO = {'X-Static-Large-Object': 'True'}
# a free task, due 10 minutes before the pass (not a midnight)
FREE_DUE = NOW - 600
# object_versioning's container of the bucket's old versions
VERSIONS = '/v1/AUTH_test/\x00versions\x00bucket'


def free_task(upload_id=OUR_ID, key=KEY, due=FREE_DUE):
    name = tasks.task_name(due, 'AUTH_test', 'bucket', upload_id)
    return (tasks.task_container(name, due), name,
            tasks.task_body(key, free=True))


def manifest(*names):
    return [{'name': '/bucket+segments/' + name, 'bytes': SIZES.get(name, 1),
             'hash': 'h'} for name in names]


def seg(name):
    return SEGMENTS + '/' + name


class OursTestCase(ReaperTestCase):
    def run_pass(self, found, dry_run=False):
        """One pass over the task ``found`` (container, name, body).

        :returns: (the stats, the calls about the upload: those between
            the task's GET and its DELETE).
        """
        container, name, _ = found
        self.register_tasks(found)
        stats = self.reaper.run_once(now=NOW, dry_run=dry_run)
        task_path = '%s/%s/%s' % (TASKS, container, name)
        frame = [
            ('GET', listing_path(TASKS)),
            ('GET', listing_path(TASKS + '/' + container)),
            ('GET', task_path)]
        end = [('GET', listing_path(TASKS + '/' + container, name)),
               ('GET', listing_path(TASKS, container))]
        if not dry_run:
            frame.insert(0, ('HEAD', ANCHOR))
            end.insert(0, ('DELETE', task_path))     # dealt with
            end.insert(2, ('DELETE', TASKS + '/' + container))
        calls = self.swift.calls
        self.assertEqual(frame, calls[:len(frame)])
        self.assertEqual(end, calls[len(calls) - len(end):])
        return stats, calls[len(frame):len(calls) - len(end)]

    def assertNewest(self, *calls):
        """Every request ``calls`` asked every replica (X-Newest), with
        reserved names allowed."""
        for call in calls:
            for index, found in enumerate(self.swift.calls):
                if found == call:
                    headers = self.swift.headers[index]
                    self.assertEqual('true', headers.get('X-Newest'), call)
                    self.assertEqual('true', headers.get(
                        layout.RESERVED_NAMES_HEADER), call)

    def register_ended(self, rows=None, key=None, bucket=None):
        """
        An upload of ours that ended: its record gone, its objects listed
        (``rows``: names; default its attempts and the abort record).

        :param key: (headers, manifest entries or None) of the key.
        :param bucket: the bucket's HEAD headers.
        """
        self.swift.register('HEAD', RECORD, 404)
        headers, entries = key or (None, None)
        if headers is None:
            self.swift.register('HEAD', OBJ, 404)
        else:
            self.swift.register('HEAD', OBJ, 200, headers)
        if entries is not None:
            self.swift.register('GET', MANIFEST_GET, 200, SLO, entries)
        self.swift.register('HEAD', BUCKET, 204, bucket or {})
        names = ATTEMPTS + [ABORT_RECORD] if rows is None else rows
        register_listing(self.swift, SEGMENTS, [
            row(n, SIZES[n]) for n in sorted(names)], prefix=PREFIX)
        for name in names:
            self.swift.register('DELETE', seg(name), 204)

    def listing(self, names):
        """The listing requests of the upload's objects ``names``."""
        return [('GET', listing_path(SEGMENTS, prefix=PREFIX)),
                ('GET', listing_path(SEGMENTS, max(names), PREFIX))]


class TestLifecycleAbort(OursTestCase):
    """An abort task (CreateMultipartUpload's, at a midnight) is due."""

    def register_in_progress(self):
        self.swift.register('HEAD', RECORD, 200, {
            'Content-Type': 'application/x-directory'})
        self.swift.register('HEAD', BUCKET, 204, LIFECYCLE)
        self.swift.register('DELETE', RECORD, 204)

    def test_ends_the_upload_and_queues_its_free_task(self):
        self.register_in_progress()
        # the free task, due gc_delay (3600 s) after the pass's time
        free_container, free_path = register_task_put(
            self.swift, NOW + 3600 + 1, OUR_ID)
        stats, calls = self.run_pass(task(upload_id=OUR_ID))
        self.assertEqual([
            ('HEAD', RECORD),      # in progress (and its id: when it began)
            ('HEAD', BUCKET),      # the rules now: due
            ('HEAD', RECORD),      # protocol.abort: still in progress
            ('DELETE', RECORD),    # ended
            ('PUT', free_container),
            ('PUT', free_path),    # queued; nothing freed now
        ], calls)
        self.assertNewest(('HEAD', RECORD))
        index = self.swift.calls.index(('PUT', free_path))
        self.assertEqual({'key': KEY, 'default_days': 0, 'max_days': 0,
                          'free': True}, json.loads(self.swift.bodies[index]))
        self.assertEqual('application/json',
                         self.swift.headers[index]['Content-Type'])
        self.assertEqual((1, 0, 0, 0), (stats['aborted'], stats['freed'],
                                        stats['parts'], stats['bytes']))
        self.logger.update_stats.assert_not_called()

    def test_gc_delay_of_the_reaper(self):
        self.reaper = self.make_reaper(gc_delay='600')
        self.register_in_progress()
        free_container, free_path = register_task_put(
            self.swift, NOW + 600 + 1, OUR_ID)
        stats, calls = self.run_pass(task(upload_id=OUR_ID))
        self.assertEqual([('PUT', free_container), ('PUT', free_path)],
                         calls[-2:])
        self.assertEqual(1, stats['aborted'])

    def test_upload_gone_drops_the_task(self):
        # completed or aborted: whoever ended it queued its free task;
        # nothing is freed here
        self.swift.register('HEAD', RECORD, 404)
        stats, calls = self.run_pass(task(upload_id=OUR_ID))
        self.assertEqual([('HEAD', RECORD)], calls)
        self.assertNewest(('HEAD', RECORD))
        self.assertEqual((1, 0, 0, 0), (stats['gone'], stats['aborted'],
                                        stats['freed'], stats['parts']))

    def test_dry_run_counts_the_attempts(self):
        self.register_in_progress()
        register_listing(self.swift, SEGMENTS, [
            row(n, SIZES[n]) for n in sorted(ATTEMPTS + [ABORT_RECORD])],
            prefix=PREFIX)
        stats, calls = self.run_pass(task(upload_id=OUR_ID), dry_run=True)
        self.assertEqual([('HEAD', RECORD), ('HEAD', BUCKET)] +
                         self.listing(ATTEMPTS + [ABORT_RECORD]), calls)
        # the attempts, not the abort record
        self.assertEqual((1, 3, 23), (stats['aborted'], stats['parts'],
                                      stats['bytes']))
        self.assertEqual(OUR_ID, self.reaper.would_abort[0]['upload_id'])


class TestFreeTask(OursTestCase):
    """A free task is due: what no manifest at the key names goes, once
    the upload has ended."""

    def test_frees_what_the_manifest_does_not_name(self):
        # completed with the second attempt of part 1: the first, part 2
        # (left out) and an abort record of an earlier build go
        self.register_ended(key=(dict(SLO, **{
            layout.OUR_UPLOAD_ID_SYSMETA: OUR_ID}), manifest(ATTEMPTS[1])))
        stats, calls = self.run_pass(free_task())
        self.assertEqual([
            ('HEAD', RECORD),            # ended?
            ('HEAD', OBJ),               # what the key holds now
            ('GET', MANIFEST_GET),       # an SLO: what it names
            ('HEAD', BUCKET),            # no versions
        ] + self.listing(ATTEMPTS + [ABORT_RECORD]) + [
            # in listing order: the abort record (part 0) first
            ('DELETE', seg(ABORT_RECORD)),
            ('DELETE', seg(ATTEMPTS[0])),
            ('DELETE', seg(ATTEMPTS[2])),
        ], calls)
        self.assertNewest(('HEAD', RECORD), ('HEAD', OBJ),
                          ('GET', MANIFEST_GET))
        self.assertEqual((1, 0, 3, 16), (stats['freed'], stats['aborted'],
                                         stats['parts'], stats['bytes']))
        self.logger.update_stats.assert_called_once_with('bytes_freed', 16)

    def test_key_of_another_object(self):
        # the key holds no manifest (a plain object, written since): every
        # object of the upload goes
        self.register_ended(key=({'Etag': 'abc'}, None))
        stats, calls = self.run_pass(free_task())
        self.assertEqual([('HEAD', RECORD), ('HEAD', OBJ), ('HEAD', BUCKET)],
                         calls[:3])
        self.assertEqual(sorted(('DELETE', seg(n))
                                for n in ATTEMPTS + [ABORT_RECORD]),
                         sorted(c for c in calls if c[0] == 'DELETE'))
        self.assertEqual((1, 4, 23), (stats['freed'], stats['parts'],
                                      stats['bytes']))

    def test_an_object_already_gone_is_not_counted(self):
        # another reaper freed it
        self.register_ended(rows=ATTEMPTS[:2])
        self.swift.register('DELETE', seg(ATTEMPTS[0]), 404)
        stats, calls = self.run_pass(free_task())
        self.assertEqual([('DELETE', seg(ATTEMPTS[0])),
                          ('DELETE', seg(ATTEMPTS[1]))], calls[-2:])
        self.assertEqual((1, 0, 1, 7), (stats['freed'], stats['errors'],
                                        stats['parts'], stats['bytes']))

    def test_upload_in_progress_frees_nothing(self):
        # a task of an upload still in progress (queued by a request that
        # read its record gone on a stale replica): its end queues again
        self.swift.register('HEAD', RECORD, 200, {})
        stats, calls = self.run_pass(free_task())
        self.assertEqual([('HEAD', RECORD)], calls)
        self.assertNewest(('HEAD', RECORD))
        self.assertEqual((1, 0, 0), (stats['freed'], stats['parts'],
                                     stats['errors']))

    def test_sweep_task_of_an_earlier_build_is_a_free_task(self):
        # no "free" in the body, but due at no midnight: the sweep task an
        # earlier build queued once the upload had ended
        self.register_ended(key=(SLO, manifest(ATTEMPTS[1])))
        found = task(FREE_DUE, upload_id=OUR_ID)
        self.assertNotIn(b'free', found[2])
        stats, calls = self.run_pass(found)
        self.assertEqual([('HEAD', RECORD), ('HEAD', OBJ),
                          ('GET', MANIFEST_GET), ('HEAD', BUCKET)], calls[:4])
        self.assertEqual([
            ('DELETE', seg(ABORT_RECORD)), ('DELETE', seg(ATTEMPTS[0])),
            ('DELETE', seg(ATTEMPTS[2]))], calls[-3:])
        self.assertEqual((1, 0, 0, 3), (stats['freed'], stats['gone'],
                                        stats['aborted'], stats['parts']))

    def test_deleted_bucket(self):
        # DeleteBucket ended it and the bucket went since: nothing to
        # free, no error, the task goes
        self.swift.register('HEAD', RECORD, 404)
        self.swift.register('HEAD', OBJ, 404)
        self.swift.register('HEAD', BUCKET, 404)
        self.swift.register('GET', listing_path(SEGMENTS, prefix=PREFIX), 404)
        stats, calls = self.run_pass(free_task())
        self.assertEqual([('HEAD', RECORD), ('HEAD', OBJ), ('HEAD', BUCKET),
                          ('GET', listing_path(SEGMENTS, prefix=PREFIX))],
                         calls)
        self.assertEqual((1, 0, 0), (stats['freed'], stats['errors'],
                                     stats['parts']))

    def test_dry_run_frees_nothing(self):
        stats, calls = self.run_pass(free_task(), dry_run=True)
        self.assertEqual([], calls)
        self.assertEqual((1, 0, 0), (stats['freed'], stats['parts'],
                                     stats['bytes']))

    def test_stock_layout_upload(self):
        # the marker is the record; the parts are <key>/<upload id>/<n>
        self.swift.register('HEAD', MARKER, 404)
        self.swift.register('HEAD', OBJ, 200, dict(SLO, **{
            'X-Object-Sysmeta-S3api-Upload-Id': UPLOAD_ID}))
        self.swift.register('GET', MANIFEST_GET, 200, SLO, [
            {'name': '/bucket+segments/%s1' % PARTS_PREFIX, 'bytes': 5}])
        self.swift.register('HEAD', BUCKET, 204, {})
        register_listing(self.swift, SEGMENTS, [
            row(PARTS_PREFIX + str(n), 5) for n in (1, 2, 3)],
            prefix=PARTS_PREFIX)
        for n in (2, 3):
            self.swift.register('DELETE', MARKER + '/%d' % n, 204)
        stats, calls = self.run_pass(free_task(UPLOAD_ID))
        self.assertEqual([
            ('HEAD', MARKER),           # ended
            ('HEAD', OBJ),
            ('GET', MANIFEST_GET),      # names part 1
            ('HEAD', BUCKET),
            ('GET', listing_path(SEGMENTS, prefix=PARTS_PREFIX)),
            ('GET', listing_path(SEGMENTS, PARTS_PREFIX + '3',
                                 PARTS_PREFIX)),
            ('DELETE', MARKER + '/2'),
            ('DELETE', MARKER + '/3'),
        ], calls)
        self.assertEqual('true', self.swift.headers[
            self.swift.calls.index(('HEAD', MARKER))]['X-Newest'])
        self.assertEqual((1, 2, 10), (stats['freed'], stats['parts'],
                                      stats['bytes']))


class TestFreeTaskVersions(OursTestCase):
    """In a bucket with versions, what a version names stays too."""

    def version(self, seconds):
        """The name in VERSIONS of the key's version written ``seconds``
        after the upload began."""
        return build_versions_object_name(
            KEY, Timestamp(INITIATED + seconds).internal)

    def versions_listing(self, marker=''):
        return VERSIONS + '?' + urlencode({
            'format': 'json', 'prefix': '\x00%s\x00' % KEY,
            'marker': marker})

    def test_object_versioning(self):
        # the current object names the second attempt of part 1; a version
        # since the upload began names part 2
        newer = self.version(3600)
        deleted = self.version(7200)
        older = self.version(-3600)
        self.register_ended(key=(SLO, manifest(ATTEMPTS[1])), bucket={
            'X-Container-Sysmeta-Versions-Container':
            quote('\x00versions\x00bucket')})
        self.swift.register_container(VERSIONS, [
            dict(row(deleted), content_type=DELETE_MARKER),  # no manifest
            row(newer, 30),
            # before the upload began: it names none of its parts (not read)
            row(older, 30),
            # another key's version, not listed
            row(build_versions_object_name(KEY + '2', '1.00000'), 30)])
        self.swift.register('HEAD', VERSIONS + '/' + newer, 200, SLO)
        self.swift.register('GET', VERSIONS + '/' + newer +
                            '?multipart-manifest=get', 200, SLO,
                            manifest(ATTEMPTS[2]))
        stats, calls = self.run_pass(free_task())
        self.assertEqual([
            ('HEAD', RECORD), ('HEAD', OBJ), ('GET', MANIFEST_GET),
            ('HEAD', BUCKET),             # versions, in VERSIONS
            ('GET', self.versions_listing()),
            ('HEAD', VERSIONS + '/' + newer),
            ('GET', VERSIONS + '/' + newer + '?multipart-manifest=get'),
            ('GET', self.versions_listing(older)),
        ] + self.listing(ATTEMPTS + [ABORT_RECORD]) + [
            ('DELETE', seg(ABORT_RECORD)),
            ('DELETE', seg(ATTEMPTS[0])),
        ], calls)
        self.assertNewest(('HEAD', VERSIONS + '/' + newer), (
            'GET', VERSIONS + '/' + newer + '?multipart-manifest=get'))
        for page in (self.versions_listing(), self.versions_listing(older)):
            self.assertEqual('true', self.swift.headers[
                self.swift.calls.index(('GET', page))][
                    layout.RESERVED_NAMES_HEADER])
        self.assertEqual((1, 2, 5), (stats['freed'], stats['parts'],
                                     stats['bytes']))

    def assertNothingFreed(self, header):
        # Swift's older versioning keeps versions out of sight
        self.register_ended(key=(SLO, manifest(ATTEMPTS[1])),
                            bucket={header: 'old'})
        stats, calls = self.run_pass(free_task())
        self.assertEqual([('HEAD', RECORD), ('HEAD', OBJ),
                          ('GET', MANIFEST_GET), ('HEAD', BUCKET)], calls)
        self.assertEqual((1, 0, 0), (stats['freed'], stats['parts'],
                                     stats['errors']))

    def test_versions_location_frees_nothing(self):
        self.assertNothingFreed('X-Versions-Location')

    def test_history_location_frees_nothing(self):
        self.assertNothingFreed('X-History-Location')
