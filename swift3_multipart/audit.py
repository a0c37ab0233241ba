"""swift3-multipart-audit: what multipart uploads hold, bucket by bucket.

::

    swift3-multipart-audit ACCOUNT [BUCKET ...] [--json]
        [--delete-orphans] [--abort-expired] [--default-days N]
        [--max-days N] [--now EPOCH] [--internal-client-conf PATH]
    swift3-multipart-audit ACCOUNT BUCKET --upload KEY UPLOAD_ID [--json]

``--upload`` shows one upload (:mod:`swift3_multipart.upload_report`).

For each bucket of the account (or those named), from the bucket's
``+segments`` container:

* in-progress uploads: how many, their parts' bytes, the oldest, the next
  abort date (the bucket's lifecycle rules as they are now, with the
  operator's ``--default-days``/``--max-days``, which should be the
  proxy's ``abort_incomplete_days_*``), and how many are past it;
* orphaned parts: names ``<key>/<upload id>/<n>`` (an upload id as
  CreateMultipartUpload makes them) whose upload marker is gone and that
  no manifest of the bucket lists, current or old version. Manifests are
  the listing rows SLO marked (``slo_etag``) plus the object of each key
  that has orphan candidates, read with ``?multipart-manifest=get`` after
  the segments were listed: a Complete that ends during the audit has
  removed its marker only after writing its manifest, so its parts are in
  one set or the other. A manifest that a Swift user built elsewhere out
  of s3api's segments is not looked for. Uploads of our layout
  (:mod:`swift3_multipart.layout`) are the records of the bucket's index;
  their orphans are attempts (and abort records) of uploads with no
  record.

``--delete-orphans`` deletes orphaned parts after checking again, upload by
upload, that the marker is gone and that the key's object does not list
them (for our layout: by the protocol of Abort, see
:func:`swift3_multipart.storage.sweep_upload`). ``--abort-expired``
aborts the uploads past their abort date, as the reaper would: the way to
apply a rule to uploads created before it. Without either, nothing is
changed.
"""

import argparse
import json
import sys
import time
from collections import defaultdict

from swift.common.internal_client import InternalClient
from swift.common.middleware.s3api.utils import MULTIUPLOAD_SUFFIX
from swift.common.utils.timestamp import Timestamp

from swift3_multipart import layout, lifecycle, mpu, storage, upload_report
from swift3_multipart.client_backend import iter_records

USER_AGENT = 'swift3-multipart-audit'
COLUMNS = (('bucket', 'BUCKET'), ('uploads', 'UPLOADS'),
           ('upload_bytes', 'UPLOAD BYTES'), ('oldest', 'OLDEST'),
           ('next_abort', 'NEXT ABORT'), ('expired', 'EXPIRED'),
           ('orphan_parts', 'ORPHAN PARTS'), ('orphan_bytes', 'ORPHAN BYTES'))


def split_part_name(name):
    """:returns: (key, upload id, part number) or None."""
    parts = name.rsplit('/', 2)
    if len(parts) != 3 or not parts[0] or not parts[2].isdigit() or \
            len(parts[1]) != mpu.UPLOAD_ID_LENGTH or \
            not mpu.valid_upload_id(parts[1]):
        return None
    return parts[0], parts[1], int(parts[2])


def scan_segments(swift, account, bucket):
    """
    :returns: ({(key, upload id): initiated}, {(key, upload id):
        [(part name, bytes)]}) of the bucket's segments container.
    """
    markers, parts = {}, defaultdict(list)
    for row in swift.iter_objects(account, storage.segments_container(bucket)):
        found = split_part_name(row['name']) or \
            layout.split_segment_name(row['name'])
        if found:
            parts[found[:2]].append((row['name'], row['bytes']))
        elif mpu.is_upload_marker(row['name']) and '/' in row['name']:
            markers[mpu.split_marker_name(row['name'])] = float(
                Timestamp.from_isoformat(row['last_modified']))
    # uploads of our layout: the records of the bucket's index
    for key, upload_id in iter_records(swift, account, bucket):
        markers[key, upload_id] = float(layout.initiated_of(upload_id))
    return markers, parts


def referenced_segments(swift, account, bucket, bucket_headers, keys):
    """The '/<container>/<object>' names the bucket's manifests list."""
    names = set()
    if bucket_headers is None:
        return names   # no bucket, no manifest
    for container in [bucket] + storage.versions_containers(bucket_headers):
        for row in swift.iter_objects(account, container):
            if 'slo_etag=' in row.get('hash', ''):
                names.update(storage.manifest_segments(
                    swift, account, container, row['name']))
    # a manifest whose listing row does not say so (an older Swift)
    for key in keys:
        names.update(storage.manifest_segments(swift, account, bucket, key))
    return names


class Auditor(object):
    """Audits buckets of one account; may delete and abort (see module)."""

    def __init__(self, swift, account, now=None, default_days=0,
                 max_days=0, delete_orphans=False, abort_expired=False):
        self.swift = swift
        self.account = account
        self.now = time.time() if now is None else now
        self.default_days = default_days
        self.max_days = max_days
        self.delete_orphans = delete_orphans
        self.abort_expired = abort_expired

    def buckets(self):
        """Buckets of the account, and segments containers left alone."""
        names = set()
        for row in self.swift.iter_containers(self.account):
            name = row['name']
            if name.endswith(MULTIUPLOAD_SUFFIX):
                name = name[:-len(MULTIUPLOAD_SUFFIX)]
            names.add(name)
        return sorted(names)

    def audit(self, buckets=None):
        reports = [self.audit_bucket(b) for b in buckets or self.buckets()]
        totals = {name: sum(r[name] for r in reports) for name in (
            'uploads', 'upload_bytes', 'expired', 'orphan_parts',
            'orphan_bytes', 'aborted', 'deleted_orphan_parts',
            'deleted_orphan_bytes')}
        return {'account': self.account, 'now': lifecycle.iso(self.now),
                'buckets': reports, 'totals': totals}

    def audit_bucket(self, bucket):
        bucket_headers = storage.head(self.swift, self.account, bucket)
        rules = storage.bucket_rules(bucket_headers)
        markers, parts = scan_segments(self.swift, self.account, bucket)
        uploads = []
        for (key, upload_id), initiated in sorted(markers.items()):
            abort = lifecycle.abort_rule(rules, key, initiated,
                                         self.default_days, self.max_days)
            uploads.append({
                'key': key, 'upload_id': upload_id,
                'initiated': lifecycle.iso(initiated),
                'initiated_epoch': initiated,
                'parts': len(parts.get((key, upload_id), ())),
                'bytes': sum(size for _, size in parts.get(
                    (key, upload_id), ())),
                'abort_date': lifecycle.iso(abort and abort.epoch),
                'abort_rule_id': abort and abort.rule_id,
                'expired': bool(abort) and abort.epoch <= self.now})
        candidates = {upload: names for upload, names in parts.items()
                      if upload not in markers}
        referenced = referenced_segments(
            self.swift, self.account, bucket, bucket_headers,
            sorted({key for key, _ in candidates})) if candidates else set()
        prefix = '/%s/' % storage.segments_container(bucket)
        orphans = {upload: [(n, s) for n, s in names
                            if prefix + n not in referenced]
                   for upload, names in candidates.items()}
        orphans = {upload: names for upload, names in orphans.items()
                   if names}
        report = {
            'bucket': bucket, 'bucket_exists': bucket_headers is not None,
            'uploads': len(uploads),
            'upload_bytes': sum(u['bytes'] for u in uploads),
            'oldest': min((u['initiated'] for u in uploads), default=None),
            'next_abort': min((u['abort_date'] for u in uploads
                               if u['abort_date']), default=None),
            'expired': sum(1 for u in uploads if u['expired']),
            'orphan_parts': sum(len(names) for names in orphans.values()),
            'orphan_bytes': sum(s for names in orphans.values()
                                for _, s in names),
            'upload_list': uploads,
            'orphan_list': sorted(n for names in orphans.values()
                                  for n, _ in names),
            'aborted': 0, 'deleted_orphan_parts': 0,
            'deleted_orphan_bytes': 0}
        if self.abort_expired:
            for upload in uploads:
                if upload['expired']:
                    storage.abort_upload(self.swift, self.account, bucket,
                                         upload['key'], upload['upload_id'])
                    report['aborted'] += 1
        if self.delete_orphans:
            for (key, upload_id), names in sorted(orphans.items()):
                self._delete_orphans(report, bucket, key, upload_id, names)
        return report

    def _delete_orphans(self, report, bucket, key, upload_id, names):
        if layout.is_ours(upload_id):
            # by the protocol of Abort, which checks again
            deleted, size = storage.sweep_upload(
                self.swift, self.account, bucket, key, upload_id)
            report['deleted_orphan_parts'] += deleted
            report['deleted_orphan_bytes'] += size
            return
        # again, now: the upload is not in progress, and the key's object
        # (if it is this upload's) does not list these parts
        if storage.marker_initiated(self.swift, self.account, bucket, key,
                                    upload_id) is not None:
            return
        listed = set(storage.manifest_segments(
            self.swift, self.account, bucket, key))
        prefix = '/%s/' % storage.segments_container(bucket)
        for name, size in names:
            if prefix + name in listed:
                continue
            self.swift.delete_object(
                self.account, storage.segments_container(bucket), name,
                acceptable_statuses=storage.OK_OR_GONE)
            report['deleted_orphan_parts'] += 1
            report['deleted_orphan_bytes'] += size


def table(result):
    """The human report: one line per bucket, then the totals."""
    rows = [[h for _, h in COLUMNS]]
    total = dict(result['totals'], bucket='TOTAL')
    for report in result['buckets'] + [total]:
        rows.append(['-' if report.get(k) is None else str(report.get(k))
                     for k, _ in COLUMNS])
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    lines = ['  '.join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip()
             for row in rows]
    totals = result['totals']
    if totals['aborted'] or totals['deleted_orphan_parts']:
        lines.append('aborted %d expired uploads; deleted %d orphan parts '
                     '(%d bytes)' % (totals['aborted'],
                                     totals['deleted_orphan_parts'],
                                     totals['deleted_orphan_bytes']))
    return '\n'.join(lines) + '\n'


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog='swift3-multipart-audit',
        description='In-progress multipart uploads and orphaned segments, '
                    'per bucket of a Swift account.')
    parser.add_argument('account', help="e.g. AUTH_test")
    parser.add_argument('buckets', nargs='*',
                        help='buckets to audit (default: all)')
    parser.add_argument('--json', action='store_true',
                        help='a JSON document instead of a table')
    parser.add_argument('--delete-orphans', action='store_true',
                        help='delete the orphaned parts')
    parser.add_argument('--abort-expired', action='store_true',
                        help='abort the uploads past their abort date')
    parser.add_argument('--default-days', type=int, default=0,
                        help="the proxy's abort_incomplete_days_default")
    parser.add_argument('--max-days', type=int, default=0,
                        help="the proxy's abort_incomplete_days_max")
    parser.add_argument('--now', type=float,
                        help='audit as if it were this time (epoch seconds)')
    parser.add_argument('--upload', nargs=2, metavar=('KEY', 'UPLOAD_ID'),
                        help='show this upload of the one BUCKET: parts, '
                             'gaps, stale attempts, abort date, bytes held')
    parser.add_argument('--internal-client-conf',
                        default='/etc/swift/internal-client.conf')
    args = parser.parse_args(argv)
    if args.upload and len(args.buckets) != 1:
        parser.error('--upload needs exactly one BUCKET')
    if args.upload and (args.delete_orphans or args.abort_expired):
        parser.error('--upload changes nothing: no --delete-orphans or '
                     '--abort-expired with it')
    return args


def main(argv=None, swift=None, out=sys.stdout):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    swift = swift or InternalClient(args.internal_client_conf, USER_AGENT, 3)
    if args.upload:
        report = upload_report.upload_report(
            swift, args.account, args.buckets[0], args.upload[0],
            args.upload[1], args.now, args.default_days, args.max_days)
        if args.json:
            json.dump(report, out, indent=2, sort_keys=True)
            out.write('\n')
        else:
            out.write(upload_report.text(report))
        return 0
    result = Auditor(swift, args.account, args.now, args.default_days,
                     args.max_days, args.delete_orphans,
                     args.abort_expired).audit(args.buckets)
    if args.json:
        json.dump(result, out, indent=2, sort_keys=True)
        out.write('\n')
    else:
        out.write(table(result))
    return 0


if __name__ == '__main__':
    sys.exit(main())
