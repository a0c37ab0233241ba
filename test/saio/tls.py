"""TLS for the proxies of a SAIO: a self-signed certificate made on the spot.

Clients behave differently over https: boto3 (botocore >= 1.36) sends the
body of PutObject and UploadPart ``aws-chunked``, with the checksum in a
trailer and ``x-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER``,
only when the endpoint is https, as against AWS. A SAIO started with
``tls=True`` serves its proxies over https (Swift's own ``cert_file`` and
``key_file`` options of ``[DEFAULT]``, see ``swift.common.wsgi.get_socket``)
with a certificate for ``127.0.0.1`` and ``localhost`` that is its own CA:
clients trust the one file, ``Saio.env()['ca_file']``.

The key is EC P-256 (fast to make); the certificate is valid for
:data:`VALID_DAYS` and is made again by the next start once it has less
than a day left.
"""

import datetime
import ipaddress
import os

CERT_FILE = 'proxy-cert.pem'
KEY_FILE = 'proxy-key.pem'
HOSTS = ('127.0.0.1', 'localhost')
VALID_DAYS = 365
COMMON_NAME = 'swift3-multipart-saio'


def _now():
    return datetime.datetime.now(datetime.timezone.utc)


def _san(hosts):
    from cryptography import x509
    names = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return x509.SubjectAlternativeName(names)


def make_certificate(hosts=HOSTS, days=VALID_DAYS, now=None):
    """A new self-signed certificate and its key.

    The certificate is a CA (so that it is the whole chain a client needs)
    and a server certificate for ``hosts`` (IP addresses or DNS names).

    :returns: (certificate PEM, private key PEM), both bytes
    """
    # cryptography is a dependency of Swift itself
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = now or _now()
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, COMMON_NAME)])
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    # the extensions OpenSSL's strict mode (Python >= 3.13's default)
    # wants of a CA certificate
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None),
                       critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False,
            key_encipherment=False, data_encipherment=False,
            key_agreement=False, key_cert_sign=True, crl_sign=False,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage(
            [ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(ski, critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(
                ski), critical=False)
        .add_extension(_san(hosts), critical=False)
        .sign(key, hashes.SHA256()))
    return (cert.public_bytes(serialization.Encoding.PEM),
            key.private_bytes(serialization.Encoding.PEM,
                              serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()))


def still_valid(cert_path, margin=datetime.timedelta(days=1), now=None):
    """True if ``cert_path`` holds a certificate valid ``margin`` from now."""
    from cryptography import x509
    try:
        with open(cert_path, 'rb') as fp:
            cert = x509.load_pem_x509_certificate(fp.read())
    except (IOError, OSError, ValueError):
        return False
    now = now or _now()
    return (cert.not_valid_before_utc <= now and
            now + margin < cert.not_valid_after_utc)


def ensure_certificate(cert_path, key_path):
    """Write a new certificate and key unless a valid pair is there.

    The same certificate survives restarts, so a client that trusts it
    keeps working. The key file is readable by its owner only.

    :returns: True if a new pair was written
    """
    if os.path.isfile(key_path) and still_valid(cert_path):
        return False
    cert_pem, key_pem = make_certificate()
    tmp = '%s.tmp.%d' % (key_path, os.getpid())
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'wb') as fp:
        fp.write(key_pem)
    os.rename(tmp, key_path)
    tmp = '%s.tmp.%d' % (cert_path, os.getpid())
    with open(tmp, 'wb') as fp:
        fp.write(cert_pem)
    os.rename(tmp, cert_path)
    return True


def client_context(ca_file):
    """An ``ssl.SSLContext`` that trusts ``ca_file`` (for health checks)."""
    import ssl
    return ssl.create_default_context(cafile=ca_file)
