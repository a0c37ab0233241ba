"""Bucket lifecycle rules that abort incomplete multipart uploads.

We run one lifecycle action, ``AbortIncompleteMultipartUpload``:
https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpu-abort-incomplete-mpu-lifecycle-config.html

A configuration is parsed strictly (:func:`parse_configuration`): bad XML is
``MalformedXML``, bad values get AWS's error, and a rule asking for an action
we do not run (Expiration, Transition, NoncurrentVersion*) is
``NotImplemented`` instead of being stored and silently ignored.

It is stored in the bucket's container sysmeta (:data:`LIFECYCLE_SYSMETA`)
as compact JSON, one ``[id, form, prefix, enabled, days]`` per rule, where
form says how the filter was written (``prefix``: the legacy ``<Prefix>``,
``filter``: ``<Filter><Prefix>``, ``empty``: ``<Filter/>``) so that GET
answers the document in the form it was put.

Operator policy (``[filter:s3api]``): ``abort_incomplete_days_default``
applies to an upload that no enabled rule of its bucket covers, and
``abort_incomplete_days_max`` is a ceiling: no rule may ask for more days,
and every upload is aborted after at most that many days (also where the
bucket has no rule and there is no default).

Nothing here talks to Swift.
"""

import collections
import json
import time
import uuid
from email.utils import formatdate

from swift.common.middleware.s3api.etree import Element, SubElement, \
    fromstring, tostring, XMLSyntaxError
from swift.common.middleware.s3api.s3response import InvalidArgument, \
    InvalidRequest, MalformedXML, S3NotImplemented
from swift.common.middleware.s3api.utils import sysmeta_header

LIFECYCLE_SYSMETA = sysmeta_header('container', 'lifecycle')
# the key of that sysmeta in get_container_info()['sysmeta']
LIFECYCLE_INFO_KEY = LIFECYCLE_SYSMETA[len('x-container-sysmeta-'):]
# what a PUT ?lifecycle body may weigh (AWS allows 1,000 rules)
MAX_LIFECYCLE_BODY_SIZE = 256 * 1024
MAX_RULES = 1000
MAX_RULE_ID_LENGTH = 255
# Container metadata travels in one header of backend requests (Swift
# refuses header lines over 8 KiB) and is cached in memcache with the
# container info: keep it small.
MAX_STORED_SIZE = 4096
# the rule id of x-amz-abort-rule-id when the operator's policy applies
CLUSTER_RULE_ID = 'cluster-policy'
DAY = 86400

ACTION = 'AbortIncompleteMultipartUpload'
UNSUPPORTED_ACTIONS = ('Expiration', 'Transition',
                       'NoncurrentVersionTransition',
                       'NoncurrentVersionExpiration')
RULE_ELEMENTS = ('ID', 'Prefix', 'Filter', 'Status', ACTION) + \
    UNSUPPORTED_ACTIONS
SIZE_ELEMENTS = ('ObjectSizeGreaterThan', 'ObjectSizeLessThan')
AND_ELEMENTS = ('Prefix', 'Tag') + SIZE_ELEMENTS
FILTER_ELEMENTS = AND_ELEMENTS + ('And',)

Rule = collections.namedtuple('Rule', 'id form prefix enabled days')
# what applies to one upload: the rule id, its days and the abort time
Abort = collections.namedtuple('Abort', 'rule_id days epoch')


def _children(elem, allowed):
    """
    :returns: {tag: element} of elem's children.
    :raises MalformedXML: an unknown or repeated child.
    """
    found = {}
    for child in elem.iterchildren():
        if not isinstance(child.tag, str):
            continue  # a comment
        if child.tag not in allowed or child.tag in found:
            raise MalformedXML()
        found[child.tag] = child
    return found


def _filter_prefix(filter_elem):
    """
    The key prefix of a ``<Filter>`` used with our action.

    https://docs.aws.amazon.com/AmazonS3/latest/API/API_LifecycleRuleFilter.html
    """
    found = _children(filter_elem, FILTER_ELEMENTS)
    if len(found) > 1:
        raise MalformedXML()   # exactly one of them, or none
    predicates = found
    if 'And' in found:
        predicates = {}
        for child in found['And'].iterchildren():
            if isinstance(child.tag, str):
                if child.tag not in AND_ELEMENTS:
                    raise MalformedXML()
                predicates.setdefault(child.tag, child)
    if 'Tag' in predicates:
        raise InvalidRequest(
            '%s cannot be specified with Tags.' % ACTION)
    if set(predicates) & set(SIZE_ELEMENTS):
        raise InvalidRequest(
            '%s cannot be specified with Object Size.' % ACTION)
    if 'Prefix' in predicates:
        return 'filter', predicates['Prefix'].text or ''
    return 'empty', ''


def _days(action_elem, max_days):
    found = _children(action_elem, ('DaysAfterInitiation',))
    text = found['DaysAfterInitiation'].text if found else None
    try:
        days = int((text or '').strip())
    except ValueError:
        raise MalformedXML()
    if days <= 0:
        raise InvalidArgument(
            'DaysAfterInitiation', text,
            "'DaysAfterInitiation' for %s action must be a positive "
            "integer" % ACTION)
    if max_days and days > max_days:
        raise InvalidArgument(
            'DaysAfterInitiation', text,
            "'DaysAfterInitiation' for %s action must be at most %d on "
            "this service" % (ACTION, max_days))
    return days


def _rule(elem, max_days):
    found = _children(elem, RULE_ELEMENTS)
    for action in UNSUPPORTED_ACTIONS:
        if action in found:
            raise S3NotImplemented(
                'The lifecycle action %s is not implemented: only %s rules '
                'are supported.' % (action, ACTION))
    if ('Prefix' in found) == ('Filter' in found):
        raise MalformedXML()   # one of them is required, not both
    status = found['Status'].text if 'Status' in found else None
    if status not in ('Enabled', 'Disabled'):
        raise MalformedXML()
    if ACTION not in found:
        raise InvalidRequest(
            'At least one action needs to be specified in a rule.')
    if 'Prefix' in found:
        form, prefix = 'prefix', found['Prefix'].text or ''
    else:
        form, prefix = _filter_prefix(found['Filter'])
    rule_id = found['ID'].text if 'ID' in found else None
    if rule_id is not None and len(rule_id) > MAX_RULE_ID_LENGTH:
        raise InvalidArgument('ID', rule_id,
                              'ID length should not exceed allowed limit '
                              'of %d' % MAX_RULE_ID_LENGTH)
    return Rule(rule_id or uuid.uuid4().hex, form, prefix,
                status == 'Enabled', _days(found[ACTION], max_days))


def parse_configuration(body, max_days=0):
    """
    Parse a PutBucketLifecycleConfiguration body.

    https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketLifecycleConfiguration.html

    :param max_days: the operator's ceiling on DaysAfterInitiation (0: none)
    :returns: a list of :class:`Rule`, rules without an ID given one.
    :raises MalformedXML: not a LifecycleConfiguration we can read.
    :raises InvalidArgument: bad days, or a bad or repeated rule ID.
    :raises InvalidRequest: a rule without action, or our action with a tag
        or object size filter (AWS refuses those).
    :raises S3NotImplemented: a rule with an action we do not run.
    """
    try:
        root = fromstring(body)
    except XMLSyntaxError:
        raise MalformedXML()
    if root.getroottree().docinfo.doctype or \
            root.tag != 'LifecycleConfiguration':
        raise MalformedXML()
    elems = [c for c in root.iterchildren() if isinstance(c.tag, str)]
    if not elems or len(elems) > MAX_RULES or any(
            e.tag != 'Rule' for e in elems):
        raise MalformedXML()
    rules = [_rule(elem, max_days) for elem in elems]
    ids = [rule.id for rule in rules]
    for rule_id in ids:
        if ids.count(rule_id) > 1:
            raise InvalidArgument('ID', rule_id,
                                  'Rule ID must be unique. Found same ID '
                                  'for more than one rule')
    return rules


def configuration_xml(rules):
    """The LifecycleConfiguration document GET ?lifecycle answers."""
    root = Element('LifecycleConfiguration')
    for rule in rules:
        elem = SubElement(root, 'Rule')
        SubElement(elem, 'ID').text = rule.id
        if rule.form == 'prefix':
            SubElement(elem, 'Prefix').text = rule.prefix
        else:
            filter_elem = SubElement(elem, 'Filter')
            if rule.form == 'filter':
                SubElement(filter_elem, 'Prefix').text = rule.prefix
        SubElement(elem, 'Status').text = \
            'Enabled' if rule.enabled else 'Disabled'
        action = SubElement(elem, ACTION)
        SubElement(action, 'DaysAfterInitiation').text = str(rule.days)
    return tostring(root)


def to_sysmeta(rules):
    """
    :returns: the sysmeta value (ASCII JSON) of a configuration.
    :raises InvalidRequest: it is too large to store.
    """
    value = json.dumps([[r.id, r.form, r.prefix, int(r.enabled), r.days]
                        for r in rules], separators=(',', ':'))
    if len(value) > MAX_STORED_SIZE:
        raise InvalidRequest(
            'The lifecycle configuration is too large for this service: '
            '%d bytes stored, at most %d.' % (len(value), MAX_STORED_SIZE))
    return value


def from_sysmeta(value):
    """:returns: the rules stored in the sysmeta value ([] if none)."""
    if not value:
        return []
    return [Rule(rule_id, form, prefix, bool(enabled), days)
            for rule_id, form, prefix, enabled, days in json.loads(value)]


def iso(epoch):
    """``epoch`` as the tools print dates (ISO 8601, UTC), or None."""
    if epoch is None:
        return None
    return time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(epoch))


def abort_epoch(initiated, days):
    """
    When an upload initiated at ``initiated`` (seconds since the epoch)
    becomes eligible for abort after ``days``: the time plus the days,
    rounded up to the next midnight UTC, as S3 computes lifecycle dates
    (created 2014-01-15 10:30 UTC, 3 days: 2014-01-19 00:00 UTC).

    https://docs.aws.amazon.com/AmazonS3/latest/userguide/intro-lifecycle-rules.html
    """
    return (int(initiated) // DAY + days + 1) * DAY


def abort_rule(rules, key, initiated, default_days=0, max_days=0):
    """
    What aborts an upload of ``key`` initiated at ``initiated``.

    The enabled rule with the fewest days among those whose prefix the key
    has (the first of them on a tie), else the operator's default, else the
    operator's ceiling; the ceiling caps the days of any of them.

    :returns: an :class:`Abort`, or None if nothing aborts the upload.
    """
    applying = [(rule.days, index, rule.id)
                for index, rule in enumerate(rules)
                if rule.enabled and key.startswith(rule.prefix)]
    if applying:
        days, _, rule_id = min(applying)
    elif default_days or max_days:
        days, rule_id = default_days or max_days, CLUSTER_RULE_ID
    else:
        return None
    if max_days:
        days = min(days, max_days)
    return Abort(rule_id, days, abort_epoch(initiated, days))


def abort_headers(abort):
    """The response headers of CreateMultipartUpload and ListParts."""
    return {'x-amz-abort-date': formatdate(abort.epoch, usegmt=True),
            'x-amz-abort-rule-id': abort.rule_id}
