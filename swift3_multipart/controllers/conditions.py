"""
Conditional CompleteMultipartUpload: ``If-Match`` and ``If-None-Match``.

https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html
https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html

The current object is read once, before the manifest is written:

* ``If-Match: "<etag>"`` / ``If-Match: *``: NoSuchKey without an object,
  PreconditionFailed if its ETag is none of those given.
* ``If-None-Match: *``: PreconditionFailed if there is an object. The
  manifest's PUT carries ``If-None-Match: *`` too, which each object server
  checks.
* ``If-None-Match: "<etag>"`` (beyond what AWS documents; Ceph RGW does
  it): PreconditionFailed if the current object has one of those ETags,
  else the Complete goes on.

In a versioned bucket the current version is the one compared.

A write of the key that lands between that read and the manifest (Swift
refuses the manifest's ``If-None-Match: *``, or, for uploads of our
layout, the object servers hold a newer write than the manifest's
timestamp) answers ``409 ConditionalRequestConflict``, as AWS does, and the
upload stays in progress: the client may retry the Complete (AWS says to
begin a new upload; both work here).
"""

from swift.common.middleware.s3api.s3response import ErrorResponse, \
    NoSuchKey, PreconditionFailed
from swift.common.swob import normalize_etag


class ConditionalRequestConflict(ErrorResponse):
    """AWS's answer to a write that races a conditional write."""
    _status = '409 Conflict'
    _msg = ('A conflicting conditional action is currently in progress '
            'against this resource. Try again.')


def pop(req):
    """
    Take the conditional headers off the request, so that they reach only
    the check here (not the record or marker HEAD, nor the listings).

    :returns: dict of the conditions Complete honours (If-Match,
        If-None-Match), with their values.
    """
    conditions = {'If-None-Match': req.headers.pop('If-None-Match', None),
                  'If-Match': req.headers.pop('If-Match', None)}
    # not conditions of CompleteMultipartUpload: AWS ignores them
    req.headers.pop('If-Modified-Since', None)
    req.headers.pop('If-Unmodified-Since', None)
    return {k: v for k, v in conditions.items() if v is not None}


def _etags(value):
    return [normalize_etag(e.strip()) for e in value.split(',')
            if e.strip()]


def check(conditions, current_etag, key):
    """
    :param key: the object's name (for NoSuchKey).
    :param current_etag: the S3 ETag (unquoted) of the key's current
        object, or None if there is none.
    :raises NoSuchKey: If-Match and no object.
    :raises PreconditionFailed: a condition does not hold.
    """
    if_match = conditions.get('If-Match')
    if if_match is not None:
        if current_etag is None:
            raise NoSuchKey(key)
        wanted = _etags(if_match)
        if '*' not in wanted and current_etag not in wanted:
            raise PreconditionFailed()
    if_none_match = conditions.get('If-None-Match')
    if if_none_match is not None and current_etag is not None:
        unwanted = _etags(if_none_match)
        if '*' in unwanted or current_etag in unwanted:
            raise PreconditionFailed()


def manifest_headers(conditions):
    """The conditions Swift checks on the manifest's PUT itself."""
    if_none_match = conditions.get('If-None-Match')
    if if_none_match is not None and '*' in _etags(if_none_match):
        return {'If-None-Match': '*'}
    return {}
