"""
A Complete's whole-object COMPOSITE checksum header, past s3api's check.

CompleteMultipartUpload may carry the object's checksum, and for a
COMPOSITE upload that is the checksum of the parts' checksums with the
part count: ``x-amz-checksum-sha256: <base64>-3`` (also SHA1, CRC32,
CRC32C). AWS verifies it (BadDigest if it differs) and echoes it:
https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html
https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html

s3api (2.38) checks every ``x-amz-checksum-*`` header of a PUT or POST as a
digest of the body when it builds its request object, and refuses
``<base64>-3`` ("Value for x-amz-checksum-sha256 header is invalid"). It
must work on a Swift without patches, so the middleware takes the header
out of the environment before s3api builds the request
(:func:`set_aside`) and puts it back right after (:func:`put_back`),
before anything reads the request or authenticates it. The signature
covers the header, as the client signed it: its string to sign is
computed again once the header is back, and the auth middleware (tempauth,
or s3token's Keystone) checks that one. The Complete then compares the
header with the checksum it computes from the parts.
"""

import re

from swift.common.swob import Request

# where set_aside keeps (environ key, value) until put_back
ENV_KEY = 'swift3_multipart.composite_checksum'
# <base64 digest>-<part count>
COMPOSITE_VALUE = re.compile(r'^\s*[A-Za-z0-9+/]+={0,2}-[0-9]+\s*$')
CHECKSUM_ENV_PREFIX = 'HTTP_X_AMZ_CHECKSUM_'
NOT_CHECKSUMS = ('HTTP_X_AMZ_CHECKSUM_ALGORITHM', 'HTTP_X_AMZ_CHECKSUM_TYPE',
                 'HTTP_X_AMZ_CHECKSUM_MODE')


def set_aside(env):
    """
    If ``env`` is a Complete (POST ``?uploadId=``) with a checksum header
    of the COMPOSITE form, take the header out of ``env`` and keep it in
    ``env[ENV_KEY]``. Streaming (aws-chunked) requests keep theirs: their
    body's signatures are checked with the string to sign s3api made.
    """
    if env.get('REQUEST_METHOD') != 'POST' or \
            'uploadId' not in Request(env).params or \
            env.get('HTTP_X_AMZ_CONTENT_SHA256', '').startswith('STREAMING'):
        return
    found = [key for key, value in env.items()
             if key.startswith(CHECKSUM_ENV_PREFIX) and
             key not in NOT_CHECKSUMS and isinstance(value, str) and
             COMPOSITE_VALUE.match(value)]
    if len(found) == 1:
        env[ENV_KEY] = (found[0], env.pop(found[0]))


def put_back(req):
    """
    Undo :func:`set_aside` on the request s3api built: the header again,
    and the string to sign (and the auth details the auth middleware
    reads) computed with it.
    """
    kept = req.environ.pop(ENV_KEY, None)
    if kept is None:
        return
    key, value = kept
    req.environ[key] = value
    checker = type(req.sig_checker)(req)
    req.sig_checker = checker
    details = req.environ.get('s3api.auth_details')
    if details is not None:
        details['string_to_sign'] = checker.string_to_sign
        details['check_signature'] = checker.check_signature
