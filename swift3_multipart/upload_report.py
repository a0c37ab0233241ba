"""One upload at a glance: ``swift3-multipart-audit ACCOUNT BUCKET --upload
KEY UPLOAD_ID [--json]``.

Whether the upload is in progress, who began it and when (its age), the
date a lifecycle rule (or the operator's default) aborts it and the rule
behind it, the checksum algorithm and type Create declared, its parts with
their sizes and ETags, the gaps in the part numbers, the attempts that are
not a part's newest (our layout keeps every UploadPart; the newest is the
part), and the bytes it holds.

It reads one HEAD of the upload's record (our layout) or marker (stock's),
the bucket's HEAD (its rules) and the listing of the upload's names in
``<bucket>+segments`` (one request per 10,000 rows): never a HEAD per part.
"""

import time

from swift3_multipart import layout, lifecycle, mpu, storage
from swift3_multipart.controllers.common import CHECKSUM_ALGORITHM_SYSMETA, \
    CHECKSUM_TYPE_SYSMETA, INITIATOR_SYSMETA


def gaps(numbers):
    """The missing part numbers below the highest one, as [first, last]
    ranges: gaps([1, 2, 5, 9]) == [[3, 4], [6, 8]]."""
    found, expected = [], 1
    for number in sorted(set(numbers)):
        if number > expected:
            found.append([expected, number - 1])
        expected = number + 1
    return found


def _rows(swift, account, bucket, key, upload_id):
    """(part number, attempt or None, row) of each part (or attempt)."""
    container = storage.segments_container(bucket)
    if layout.is_ours(upload_id):
        prefix = layout.parts_prefix(key, upload_id)
        for row in swift.iter_objects(account, container, prefix=prefix):
            found = layout.attempt_of(row['name'], prefix)
            if found:
                yield found[0], found[1], row
        return
    prefix = mpu.parts_prefix(key, upload_id)
    for row in swift.iter_objects(account, container, prefix=prefix):
        number = mpu.part_number_of(row['name'], prefix)
        if number is not None:
            yield number, None, row


def upload_report(swift, account, bucket, key, upload_id, now=None,
                  default_days=0, max_days=0):
    """The report of one upload, as a dict (see the module)."""
    now = time.time() if now is None else now
    headers, initiated = storage.upload_state(swift, account, bucket, key,
                                              upload_id)
    newest, stale = {}, []
    held = 0
    for number, attempt, row in _rows(swift, account, bucket, key,
                                      upload_id):
        held += row['bytes']
        entry = {'part_number': number, 'attempt': attempt,
                 'size': row['bytes'],
                 'etag': row['hash'].split(';', 1)[0].strip(),
                 'last_modified': row['last_modified'], 'name': row['name']}
        older = newest.get(number)
        # attempts sort by time (fixed width digits)
        if older is None or (attempt or '') > (older['attempt'] or ''):
            newest[number] = entry
            if older is not None:
                stale.append(older)
        else:
            stale.append(entry)
    parts = [newest[n] for n in sorted(newest)]
    abort = None
    if headers is not None:
        abort = lifecycle.abort_rule(storage.bucket_rules(storage.head(
            swift, account, bucket)), key, initiated, default_days, max_days)
    headers = headers or {}
    content_type = headers.get('Content-Type', '')
    return {
        'account': account, 'bucket': bucket, 'key': key,
        'upload_id': upload_id,
        'layout': layout.layout_of(upload_id),
        'in_progress': bool(headers),
        'initiator': headers.get(INITIATOR_SYSMETA) or
        mpu.initiator_from_content_type(content_type),
        'initiated': lifecycle.iso(initiated),
        'age_seconds': None if initiated is None else int(now - initiated),
        'abort_date': lifecycle.iso(abort and abort.epoch),
        'abort_rule_id': abort and abort.rule_id,
        'checksum_algorithm': headers.get(CHECKSUM_ALGORITHM_SYSMETA),
        'checksum_type': headers.get(CHECKSUM_TYPE_SYSMETA),
        'parts': parts,
        'part_count': len(parts),
        'gaps': gaps(newest),
        'stale_attempts': sorted(stale, key=lambda e: e['name']),
        'bytes_in_parts': sum(p['size'] for p in parts),
        'bytes_held': held,
    }


def text(report):
    """The human form of :func:`upload_report`."""
    age = report['age_seconds']
    lines = [
        'upload %(upload_id)s of %(account)s/%(bucket)s/%(key)s '
        '(%(layout)s layout)' % report,
        '  state:      %s' % (
            'in progress' if report['in_progress'] else
            'not in progress (completed, aborted or never created)'),
        '  initiator:  %s' % (report['initiator'] or '-'),
        '  initiated:  %s%s' % (report['initiated'] or '-', '' if age is None
                                else ' (%.1f days ago)' % (age / 86400.0)),
        '  aborts at:  %s' % (
            '%s (rule %s)' % (report['abort_date'], report['abort_rule_id'])
            if report['abort_date'] else '- (no rule applies)'),
        '  checksum:   %s' % (
            '%s %s' % (report['checksum_algorithm'],
                       report['checksum_type'] or '')
            if report['checksum_algorithm'] else '-'),
        '  parts:      %d, %d bytes' % (report['part_count'],
                                        report['bytes_in_parts']),
    ]
    for part in report['parts']:
        lines.append('    %5d  %12d  %s  %s' % (
            part['part_number'], part['size'], part['etag'],
            part['last_modified']))
    lines.append('  gaps:       %s' % (', '.join(
        str(a) if a == b else '%d-%d' % (a, b)
        for a, b in report['gaps']) or '-'))
    lines.append('  stale attempts: %d, %d bytes' % (
        len(report['stale_attempts']),
        sum(e['size'] for e in report['stale_attempts'])))
    for entry in report['stale_attempts']:
        lines.append('    %5d  %12d  %s' % (
            entry['part_number'], entry['size'], entry['name']))
    lines.append('  bytes held: %d' % report['bytes_held'])
    return '\n'.join(lines) + '\n'
