"""Unit tests of the SAIO's TLS option (no server is started)."""

import datetime
import io
import os
import shutil
import socket
import ssl
import stat
import tempfile
import threading
import unittest
from configparser import ConfigParser

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from test.saio import Saio, cli, tls
from test.saio.config import (
    BACKEND_KINDS, PROXY_KINDS, SaioConfig)


def load_cert(path):
    with open(path, 'rb') as fp:
        return x509.load_pem_x509_certificate(fp.read())


def handshake(cert_path, key_path, server_hostname):
    """(subject, data) the client got over TLS, across a socketpair.

    :raises ssl.SSLError: if the client does not trust the server
    """
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(cert_path, key_path)   # as Swift's get_socket
    left, right = socket.socketpair()
    errors = []

    def serve():
        try:
            with server_ctx.wrap_socket(left, server_side=True) as conn:
                conn.sendall(b'ok')
        except (ssl.SSLError, OSError) as err:
            errors.append(err)

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        with tls.client_context(cert_path).wrap_socket(
                right, server_hostname=server_hostname) as conn:
            subject = conn.getpeercert()['subject']
            data = conn.recv(2)
    finally:
        right.close()
        thread.join(10)
        left.close()
    return subject, data


class TempDirTestCase(unittest.TestCase):

    def setUp(self):
        self.tempdir = tempfile.mkdtemp(prefix='saio-tls-test-')
        self.state_dir = os.path.join(self.tempdir, 'state')
        self.cert_path = os.path.join(self.tempdir, 'cert.pem')
        self.key_path = os.path.join(self.tempdir, 'key.pem')

    def tearDown(self):
        shutil.rmtree(self.tempdir)


class TestCertificate(TempDirTestCase):

    def test_make_certificate(self):
        now = datetime.datetime(2030, 1, 2, tzinfo=datetime.timezone.utc)
        cert_pem, key_pem = tls.make_certificate(days=10, now=now)
        cert = x509.load_pem_x509_certificate(cert_pem)
        key = serialization.load_pem_private_key(key_pem, None)
        self.assertEqual(
            cert.public_key().public_bytes(
                serialization.Encoding.PEM,
                serialization.PublicFormat.SubjectPublicKeyInfo),
            key.public_key().public_bytes(
                serialization.Encoding.PEM,
                serialization.PublicFormat.SubjectPublicKeyInfo))
        self.assertEqual(cert.issuer, cert.subject)   # self-signed
        san = cert.extensions.get_extension_for_class(
            x509.SubjectAlternativeName).value
        self.assertEqual([str(ip) for ip in san.get_values_for_type(
            x509.IPAddress)], ['127.0.0.1'])
        self.assertEqual(san.get_values_for_type(x509.DNSName),
                         ['localhost'])
        self.assertTrue(cert.extensions.get_extension_for_class(
            x509.BasicConstraints).value.ca)
        self.assertEqual(cert.not_valid_after_utc - now,
                         datetime.timedelta(days=10))
        self.assertLess(cert.not_valid_before_utc, now)

    def test_ensure_writes_once(self):
        self.assertTrue(tls.ensure_certificate(self.cert_path, self.key_path))
        self.assertEqual(
            stat.S_IMODE(os.stat(self.key_path).st_mode), 0o600)
        with open(self.cert_path, 'rb') as fp:
            first = fp.read()
        # a restart keeps the certificate clients already trust
        self.assertFalse(tls.ensure_certificate(self.cert_path,
                                                self.key_path))
        with open(self.cert_path, 'rb') as fp:
            self.assertEqual(first, fp.read())
        self.assertEqual(sorted(os.listdir(self.tempdir)),
                         ['cert.pem', 'key.pem'])

    def test_ensure_replaces_expiring_or_missing(self):
        old = datetime.datetime.now(datetime.timezone.utc) - \
            datetime.timedelta(days=30)
        cert_pem, key_pem = tls.make_certificate(days=30, now=old)
        with open(self.cert_path, 'wb') as fp:
            fp.write(cert_pem)
        with open(self.key_path, 'wb') as fp:
            fp.write(key_pem)
        self.assertFalse(tls.still_valid(self.cert_path))
        self.assertTrue(tls.ensure_certificate(self.cert_path, self.key_path))
        self.assertTrue(tls.still_valid(self.cert_path))
        os.unlink(self.key_path)
        self.assertTrue(tls.ensure_certificate(self.cert_path, self.key_path))
        with open(self.cert_path, 'w') as fp:
            fp.write('garbage')
        self.assertFalse(tls.still_valid(self.cert_path))
        self.assertFalse(tls.still_valid(self.cert_path + '.missing'))

    def test_clients_trust_it_for_both_host_names(self):
        tls.ensure_certificate(self.cert_path, self.key_path)
        for host in ('127.0.0.1', 'localhost'):
            subject, data = handshake(self.cert_path, self.key_path, host)
            self.assertEqual(data, b'ok')
            self.assertEqual(subject, ((('commonName', tls.COMMON_NAME),),))

    def test_clients_check_the_host_name(self):
        tls.ensure_certificate(self.cert_path, self.key_path)
        with self.assertRaises(ssl.SSLCertVerificationError):
            handshake(self.cert_path, self.key_path, '127.0.0.2')


class TestTlsSaio(TempDirTestCase):

    def make_config(self, **kwargs):
        return SaioConfig(self.state_dir, data_dir=os.path.join(
            self.tempdir, 'data'), **kwargs)

    def test_proxies_get_cert_and_key(self):
        conf = self.make_config(tls=True, proxies=PROXY_KINDS)
        self.assertEqual(conf.scheme, 'https')
        for name in PROXY_KINDS:
            parser = ConfigParser(interpolation=None)
            parser.read_string(conf.proxy_conf(name))
            self.assertEqual(parser.defaults()['cert_file'], conf.cert_path)
            self.assertEqual(parser.defaults()['key_file'], conf.key_path)
        for kind in BACKEND_KINDS:   # the backends stay plain http
            self.assertNotIn('cert_file', conf.backend_conf(kind))

    def test_off_by_default(self):
        conf = self.make_config(proxies=PROXY_KINDS)
        self.assertEqual(conf.scheme, 'http')
        for name in PROXY_KINDS:
            self.assertNotIn('cert_file', conf.proxy_conf(name))
        conf.write()
        self.assertFalse(os.path.exists(conf.cert_path))
        self.assertIsNone(Saio(self.state_dir).env()['ca_file'])

    def test_write_makes_the_certificate(self):
        conf = self.make_config(tls=True)
        conf.write()
        self.assertTrue(tls.still_valid(conf.cert_path))
        self.assertTrue(os.path.isfile(conf.key_path))
        self.assertEqual(os.path.dirname(conf.cert_path), conf.state_dir)

    def test_env_and_saved_settings(self):
        saio = Saio(self.state_dir, base_port=23000, tls=True)
        env = saio.env()
        self.assertEqual(env['endpoint'], 'https://127.0.0.1:23000')
        self.assertEqual(env['stock_endpoint'], 'https://127.0.0.1:23001')
        self.assertEqual(env['auth_url'],
                         'https://127.0.0.1:23000/auth/v1.0')
        self.assertEqual(env['ca_file'], saio.config.cert_path)
        os.makedirs(self.state_dir)
        saio._write_settings()
        self.assertTrue(Saio.load(self.state_dir).config.tls)
        self.assertFalse(Saio.load(self.state_dir, tls=False).config.tls)
        out = io.StringIO()
        self.assertEqual(cli.main(['--state-dir', self.state_dir, 'env'],
                                  out=out), 0)
        lines = out.getvalue().splitlines()
        self.assertIn('export AWS_ENDPOINT_URL=https://127.0.0.1:23000',
                      lines)
        self.assertIn('export AWS_CA_BUNDLE=%s' % saio.config.cert_path,
                      lines)

    def test_cli_option(self):
        parser = cli.make_parser()
        self.assertIsNone(parser.parse_args(['start']).tls)
        self.assertTrue(parser.parse_args(['start', '--tls']).tls)
        self.assertFalse(parser.parse_args(['start', '--no-tls']).tls)


if __name__ == '__main__':
    unittest.main()
