"""Which requests have their COMPOSITE checksum header set aside."""

import unittest

from swift.common import swob

from swift3_multipart import composite_checksum

VALUE = 'Zm9vYmFyYmF6cXV4cXV1eA==-3'


def env_of(method, path, **headers):
    return swob.Request.blank(path, environ={'REQUEST_METHOD': method},
                              headers=headers).environ


class TestSetAside(unittest.TestCase):
    def test_complete(self):
        env = env_of('POST', '/b/k?uploadId=x', **{
            'x-amz-checksum-sha256': VALUE})
        composite_checksum.set_aside(env)
        self.assertNotIn('HTTP_X_AMZ_CHECKSUM_SHA256', env)
        self.assertEqual(('HTTP_X_AMZ_CHECKSUM_SHA256', VALUE),
                         env[composite_checksum.ENV_KEY])

    def test_left_alone(self):
        for method, path, headers in (
                # not a Complete
                ('PUT', '/b/k?uploadId=x&partNumber=1',
                 {'x-amz-checksum-sha256': VALUE}),
                ('POST', '/b/k?uploads', {'x-amz-checksum-sha256': VALUE}),
                # a digest, not the COMPOSITE form: s3api checks it
                ('POST', '/b/k?uploadId=x',
                 {'x-amz-checksum-sha256': 'Zm9vYmFyYmF6cXV4cXV1eA=='}),
                # aws-chunked: its signatures use s3api's string to sign
                ('POST', '/b/k?uploadId=x',
                 {'x-amz-checksum-sha256': VALUE,
                  'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-'
                                          'TRAILER'}),
                # two: s3api refuses them as they are
                ('POST', '/b/k?uploadId=x',
                 {'x-amz-checksum-sha256': VALUE,
                  'x-amz-checksum-crc32': 'AAAAAA==-3'}),
                ('POST', '/b/k?uploadId=x', {'x-amz-checksum-type': 'x-3'})):
            env = env_of(method, path, **headers)
            before = dict(env)
            composite_checksum.set_aside(env)
            self.assertEqual(before, env, (method, path, headers))
