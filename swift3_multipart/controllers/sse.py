"""
``x-amz-server-side-encryption`` on the answers of the multipart writes.

With Swift's encryption middleware in the pipeline every object a proxy
writes is encrypted (AES-256), as every object AWS writes is (SSE-S3, by
default since 2023). AWS says so with ``x-amz-server-side-encryption:
AES256`` on CreateMultipartUpload, UploadPart, UploadPartCopy and
CompleteMultipartUpload, and boto3 reads it as ``ServerSideEncryption``;
stock s3api says it only on HEAD and GET (from the decrypter's
``X-Backend-Crypto-Cipher``). Without the middleware, s3api answers a
request for SSE NotImplemented before we see it, and we say nothing.

https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateMultipartUpload.html
https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingServerSideEncryption.html
"""

from swift.common.registry import get_swift_info

HEADER = 'x-amz-server-side-encryption'
# the only SSE Swift's encryption middleware does
AES256 = 'AES256'


def encrypting():
    """True if the encryption middleware encrypts new objects (it
    registers ``encryption`` admin info, ``enabled`` unless
    ``disable_encryption``)."""
    info = get_swift_info(admin=True).get('admin', {}).get('encryption', {})
    return bool(info.get('enabled'))


def add_header(resp):
    """Set the header on ``resp`` if new objects are encrypted."""
    if encrypting():
        resp.headers[HEADER] = AES256
    return resp
