"""Unit tests of the SAIO launcher's config writing (no server is started)."""

import base64
import io
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from configparser import ConfigParser

from test.saio import Saio, cli
from test.saio import process as saio_process
from test.saio.config import (
    BACKEND_KINDS, MAX_PORT, PORT_OFFSETS, PROXY_KINDS, PROXY_NAMES,
    SaioConfig, default_data_dir, parse_option)


def parse(text):
    parser = ConfigParser(interpolation=None)
    parser.read_string(text)
    return parser


class TempDirTestCase(unittest.TestCase):

    def setUp(self):
        self.tempdir = tempfile.mkdtemp(prefix='saio-test-')
        self.state_dir = os.path.join(self.tempdir, 'state')
        self.data_dir = os.path.join(self.tempdir, 'data')

    def tearDown(self):
        shutil.rmtree(self.tempdir)

    def make_config(self, **kwargs):
        kwargs.setdefault('data_dir', self.data_dir)
        return SaioConfig(self.state_dir, **kwargs)


class TestPorts(TempDirTestCase):

    def test_default_ports_below_32768_and_distinct(self):
        conf = self.make_config()
        ports = [conf.port(name) for name in PORT_OFFSETS]
        self.assertEqual(len(set(ports)), len(ports))
        self.assertTrue(all(0 < port <= MAX_PORT for port in ports), ports)
        self.assertEqual(conf.port('ours'), 18080)
        self.assertEqual(conf.port('stock'), 18081)

    def test_base_port_too_high(self):
        with self.assertRaises(ValueError):
            self.make_config(base_port=MAX_PORT - 5)
        conf = self.make_config(base_port=MAX_PORT - max(
            PORT_OFFSETS.values()))
        self.assertEqual(conf.port('memcached'), MAX_PORT)

    def test_servers_listen_on_their_ports_and_loopback(self):
        conf = self.make_config(base_port=20000)
        for name in PROXY_NAMES:
            default = parse(conf.proxy_conf(name)).defaults()
            self.assertEqual(default['bind_port'], str(conf.port(name)))
            self.assertEqual(default['bind_ip'], '127.0.0.1')
            self.assertEqual(default['workers'], '0')
        for kind in BACKEND_KINDS:
            default = parse(conf.backend_conf(kind)).defaults()
            self.assertEqual(default['bind_port'], str(conf.port(kind)))
            self.assertEqual(default['bind_ip'], '127.0.0.1')
            self.assertEqual(default['workers'], '0')
            self.assertEqual(default['mount_check'], 'false')
            self.assertEqual(default['devices'], self.data_dir)
            self.assertEqual(default['swift_dir'], conf.state_dir)
            for dev in conf.ring_devices(kind):
                self.assertEqual(dev['port'], conf.port(kind))
                self.assertEqual(dev['ip'], '127.0.0.1')


class TestProxyConf(TempDirTestCase):

    def pipeline(self, conf, name):
        return parse(conf.proxy_conf(name)).get(
            'pipeline:main', 'pipeline').split()

    def test_pipeline_order(self):
        pipeline = self.pipeline(self.make_config(), 'ours')
        self.assertEqual(pipeline[0], 'catch_errors')
        self.assertEqual(pipeline[-2:], ['proxy-logging', 'proxy-server'])
        order = ['gatekeeper', 'healthcheck', 'proxy-logging',
                 'listing_formats', 's3api', 'tempauth', 'copy', 'slo',
                 'dlo', 'versioned_writes', 'symlink']
        self.assertEqual([pipeline.index(n) for n in order],
                         sorted(pipeline.index(n) for n in order))
        self.assertEqual(pipeline.count('proxy-logging'), 2)

    def test_encryption(self):
        """keymaster and encryption right of every filter but the last
        proxy-logging, as Swift's docs want them; the internal client
        (reaper, audit) has them too, with the same root secret."""
        conf = self.make_config(encryption=True)
        for name in PROXY_KINDS:
            pipeline = self.pipeline(conf, name)
            self.assertEqual(['symlink', 'keymaster', 'encryption',
                              'proxy-logging', 'proxy-server'],
                             pipeline[-5:], name)
            parser = parse(conf.proxy_conf(name))
            secret = parser.get('filter:keymaster', 'encryption_root_secret')
            self.assertEqual(32, len(base64.b64decode(secret)))
            self.assertEqual('egg:swift#encryption',
                             parser.get('filter:encryption', 'use'))
        parser = parse(conf.internal_client_conf())
        self.assertEqual(['catch_errors', 'keymaster', 'encryption',
                          'proxy-logging', 'proxy-server'],
                         parser.get('pipeline:main', 'pipeline').split())
        self.assertEqual(secret, parser.get('filter:keymaster',
                                            'encryption_root_secret'))
        # the same state dir, the same secret (data stays readable)
        self.assertEqual(secret, self.make_config(
            encryption=True).encryption_root_secret)
        self.assertNotIn('keymaster', self.pipeline(self.make_config(),
                                                    'ours'))

    def test_every_filter_has_a_section(self):
        conf = self.make_config(memcache_port=11211)
        for name in PROXY_NAMES:
            parser = parse(conf.proxy_conf(name))
            for item in self.pipeline(conf, name)[:-1]:
                self.assertTrue(parser.has_section('filter:' + item), item)
            self.assertTrue(parser.has_section('app:proxy-server'))

    def test_cache_only_with_memcached(self):
        conf = self.make_config()
        self.assertNotIn('cache', self.pipeline(conf, 'ours'))
        self.assertFalse(parse(conf.proxy_conf('ours')).has_section(
            'filter:cache'))
        conf = self.make_config(memcache_port=conf.port('memcached'))
        pipeline = self.pipeline(conf, 'ours')
        self.assertEqual(pipeline.index('cache'),
                         pipeline.index('proxy-logging') + 1)
        self.assertEqual(
            parse(conf.proxy_conf('stock')).get(
                'filter:cache', 'memcache_servers'),
            '127.0.0.1:%d' % conf.port('memcached'))

    def test_proxies_differ_only_in_s3api_use_and_port(self):
        conf = self.make_config(s3api_options={'min_segment_size': 1024})
        ours, stock = (parse(conf.proxy_conf(n)) for n in PROXY_NAMES)
        self.assertEqual(ours.get('filter:s3api', 'use'),
                         'egg:swift3_multipart#s3api')
        self.assertEqual(stock.get('filter:s3api', 'use'), 'egg:swift#s3api')
        self.assertEqual(ours.sections(), stock.sections())
        for section in ours.sections():
            mine = dict(ours.items(section, raw=True))
            theirs = dict(stock.items(section, raw=True))
            for key in ('use', 'bind_port', 'log_name'):
                mine.pop(key, None)
                theirs.pop(key, None)
            self.assertEqual(mine, theirs, section)

    def test_s3api_options(self):
        conf = self.make_config(s3api_options={
            'min_segment_size': 1024, 'location': 'us-east-1'})
        for name in PROXY_NAMES:
            s3api = dict(parse(conf.proxy_conf(name)).items('filter:s3api'))
            self.assertEqual(s3api['min_segment_size'], '1024')
            self.assertEqual(s3api['location'], 'us-east-1')
            self.assertEqual(s3api['max_upload_part_num'], '10000')

    def test_slo_segments_follow_max_upload_part_num(self):
        conf = self.make_config()
        self.assertEqual(parse(conf.proxy_conf('ours')).get(
            'filter:slo', 'max_manifest_segments'), '10000')
        conf = self.make_config(s3api_options={'max_upload_part_num': 77})
        for name in PROXY_NAMES:
            parser = parse(conf.proxy_conf(name))
            self.assertEqual(parser.get('filter:s3api',
                                        'max_upload_part_num'), '77')
            self.assertEqual(parser.get('filter:slo',
                                        'max_manifest_segments'), '77')

    def test_bad_options(self):
        for options in ({'max_upload_part_num': 'many'},
                        {'max_upload_part_num': '0'},
                        {'Bad Name': '1'},
                        {'location': 'a\nb'}):
            with self.assertRaises(ValueError):
                self.make_config(s3api_options=options)
        self.assertEqual(parse_option('a_b = c=d'), ('a_b', 'c=d'))
        for text in ('novalue', '=x', 'UPPER=1'):
            with self.assertRaises(ValueError):
                parse_option(text)

    def test_users(self):
        users = dict(parse(self.make_config().proxy_conf('ours')).items(
            'filter:tempauth'))
        self.assertEqual(users['user_test_tester'], 'testing .admin')
        self.assertEqual(users['user_test_tester2'], 'testing2')
        self.assertEqual(users['user_test2_tester3'], 'testing3 .admin')
        self.assertEqual(users['user_admin_admin'],
                         'admin .admin .reseller_admin')

    def test_versioning_enabled(self):
        parser = parse(self.make_config().proxy_conf('stock'))
        self.assertEqual(parser.get('filter:versioned_writes',
                                    'allow_object_versioning'), 'true')


class TestKeystoneConf(TempDirTestCase):
    """``auth = keystone``: s3api's docs' pipeline and a real Keystone's
    address (test.saio.keystone_service; nothing is started here)."""

    def test_pipeline_and_filters(self):
        conf = self.make_config(auth='keystone', base_port=20000)
        url = 'http://127.0.0.1:20005/v3'
        for name in PROXY_NAMES:
            parser = parse(conf.proxy_conf(name))
            pipeline = parser.get('pipeline:main', 'pipeline').split()
            at = pipeline.index('authtoken')
            self.assertEqual(['authtoken', 's3api', 's3token',
                              'keystoneauth', 'copy'], pipeline[at:at + 5])
            self.assertNotIn('tempauth', pipeline)
            self.assertFalse(parser.has_section('filter:tempauth'))
            for item in pipeline[:-1]:
                self.assertTrue(parser.has_section('filter:' + item), item)
            self.assertEqual(url, parser.get('filter:s3token', 'auth_uri'))
            self.assertEqual('0', parser.get('filter:s3token',
                                             'secret_cache_duration'))
            self.assertEqual(url, parser.get('filter:authtoken', 'auth_url'))
            self.assertEqual('true', parser.get('filter:authtoken',
                                                'delay_auth_decision'))
            self.assertEqual('admin, swiftoperator', parser.get(
                'filter:keystoneauth', 'operator_roles'))
        with_cache = self.make_config(auth='keystone', memcache_port=11211)
        self.assertEqual('60', parse(with_cache.proxy_conf('ours')).get(
            'filter:s3token', 'secret_cache_duration'))
        raw = parse(self.make_config(auth='keystone', proxies=PROXY_KINDS)
                    .proxy_conf('raw'))
        self.assertFalse({'authtoken', 's3api', 's3token', 'keystoneauth'} &
                         set(raw.get('pipeline:main', 'pipeline').split()))

    def test_bad_auth(self):
        with self.assertRaises(ValueError):
            self.make_config(auth='swauth')

    def test_env_of_provisioned_users(self):
        saio = Saio(self.state_dir, base_port=20000, auth='keystone')
        os.makedirs(saio.config.path('keystone'))
        with open(saio.config.path('keystone', 'ids.json'), 'w') as f:
            f.write('{"projects": {"test": "p1", "test2": "p2"}, '
                    '"users": {}}')
        env = saio.env()
        self.assertEqual(('keystone', 'http://127.0.0.1:20005/v3'),
                         (env['auth'], env['keystone_url']))
        self.assertEqual(('test-tester', 'testing'),
                         (env['access_key'], env['secret_key']))
        self.assertEqual({'test-tester': 'AUTH_p1',
                          'test-tester2': 'AUTH_p1',
                          'test2-tester3': 'AUTH_p2'}, env['accounts'])
        self.assertEqual({'tester': 'test-tester', 'tester2': 'test-tester2',
                          'tester3': 'test2-tester3'}, env['access_keys'])
        self.assertEqual(['member'], env['user_groups']['test-tester2'])
        # the mode is a saved setting, as the others
        saio._write_settings()
        self.assertEqual('keystone', Saio.load(self.state_dir).config.auth)


class TestRawProxy(TempDirTestCase):
    """The opt-in ``raw`` proxy: Swift without s3api and auth."""

    def test_not_run_by_default(self):
        self.assertNotIn('raw', PROXY_NAMES)
        self.assertEqual(self.make_config().proxies, ('ours', 'stock'))
        with self.assertRaises(ValueError):
            self.make_config(proxies=('ours', 'nginx'))

    def test_pipeline_without_s3api_and_auth(self):
        conf = self.make_config(proxies=PROXY_KINDS, base_port=20000,
                                memcache_port=12345)
        raw = parse(conf.proxy_conf('raw'))
        ours = parse(conf.proxy_conf('ours'))
        self.assertEqual(
            raw.get('pipeline:main', 'pipeline').split(),
            [n for n in ours.get('pipeline:main', 'pipeline').split()
             if n not in ('s3api', 'tempauth')])
        self.assertFalse(raw.has_section('filter:s3api'))
        self.assertFalse(raw.has_section('filter:tempauth'))
        self.assertEqual(set(raw.sections()), set(ours.sections()) - {
            'filter:s3api', 'filter:tempauth'})
        for section in set(raw.sections()) - {'pipeline:main'}:
            # the other sections as the ours proxy has them
            self.assertEqual(
                {k: v for k, v in raw.items(section, raw=True)
                 if k not in raw.defaults()},
                {k: v for k, v in ours.items(section, raw=True)
                 if k not in ours.defaults()}, section)
        default = raw.defaults()
        self.assertEqual(default['bind_ip'], '127.0.0.1')
        self.assertEqual(default['bind_port'], '20002')
        self.assertEqual(default['log_name'], 'proxy-raw')

    def test_written_and_in_env(self):
        conf = self.make_config(proxies=PROXY_KINDS)
        conf.write()
        self.assertTrue(os.path.isfile(conf.proxy_conf_path('raw')))
        saio = Saio(self.state_dir, base_port=23000, proxies=PROXY_KINDS)
        env = saio.env()
        self.assertEqual(env['raw_endpoint'], 'http://127.0.0.1:23002')
        self.assertEqual(env['endpoint'], 'http://127.0.0.1:23000')
        self.assertIn('raw', env['proxy_logs'])
        self.assertIn('proxy-raw', saio.status())
        self.assertIsNone(Saio(self.state_dir).env()['raw_endpoint'])

    def test_cli(self):
        args = cli.make_parser().parse_args(
            ['start', '--proxies', 'ours,stock,raw'])
        self.assertEqual(args.proxies, ['ours', 'stock', 'raw'])
        args = cli.make_parser().parse_args(['restart-proxy', 'raw'])
        self.assertEqual(args.proxy, 'raw')
        with self.assertRaises(SystemExit):
            cli.make_parser().parse_args(['start', '--proxies', 'ours,x'])


class TestOtherFiles(TempDirTestCase):

    def test_internal_client_pipeline(self):
        conf = self.make_config()
        parser = parse(conf.internal_client_conf())
        self.assertEqual(parser.get('pipeline:main', 'pipeline').split(),
                         ['catch_errors', 'proxy-logging', 'proxy-server'])
        self.assertEqual(parser.defaults()['swift_dir'], conf.state_dir)
        conf = self.make_config(memcache_port=12345)
        self.assertEqual(
            parse(conf.internal_client_conf()).get(
                'pipeline:main', 'pipeline').split(),
            ['catch_errors', 'proxy-logging', 'cache', 'proxy-server'])

    def test_devices(self):
        self.assertEqual(self.make_config().devices, ['sdb1', 'sdb2'])
        conf = self.make_config(replicas=3)
        self.assertEqual(conf.device_count, 4)
        self.assertEqual(len({d['zone'] for d in conf.ring_devices(
            'object')}), 4)
        with self.assertRaises(ValueError):
            self.make_config(replicas=0)

    def test_default_data_dir(self):
        shm = os.path.join(self.tempdir, 'shm')
        self.assertEqual(default_data_dir(self.state_dir, shm),
                         os.path.join(self.state_dir, 'devices'))
        os.mkdir(shm)
        one = default_data_dir(self.state_dir, shm)
        self.assertEqual(os.path.dirname(one), shm)
        self.assertNotEqual(one, default_data_dir(self.state_dir + 'x', shm))
        self.assertEqual(one, default_data_dir(self.state_dir + '/', shm))

    def test_write(self):
        from swift.common.ring import RingData
        conf = self.make_config(replicas=3)
        conf.write()
        for kind in BACKEND_KINDS:
            ring = RingData.load(conf.path('%s.ring.gz' % kind))
            self.assertEqual(ring.replica_count, 3)
            self.assertEqual(len(ring.devs), 4)
            self.assertTrue(os.path.isfile(conf.backend_conf_path(kind)))
        for name in PROXY_NAMES:
            self.assertTrue(os.path.isfile(conf.proxy_conf_path(name)))
        for device in conf.devices:
            self.assertTrue(os.path.isdir(os.path.join(self.data_dir,
                                                       device)))
        self.assertEqual(os.readlink(conf.path('data')), self.data_dir)
        swift_conf = parse(open(conf.swift_conf_path).read())
        suffix = swift_conf.get('swift-hash', 'swift_hash_path_suffix')
        self.assertEqual(swift_conf.get('storage-policy:0', 'name'),
                         'Policy-0')
        conf.write()  # a rewrite keeps the hash path suffix
        self.assertEqual(parse(open(conf.swift_conf_path).read()).get(
            'swift-hash', 'swift_hash_path_suffix'), suffix)

    def test_use_state_dir_in_a_fresh_process(self):
        conf = self.make_config()
        conf.write()
        code = ('import sys; from test.saio import use_state_dir;'
                'use_state_dir(sys.argv[1]);'
                'from test.saio.swiftdir import describe;'
                'print(describe())')
        out = subprocess.check_output(
            [sys.executable, '-c', code, conf.state_dir],
            cwd=os.path.dirname(os.path.dirname(os.path.dirname(
                os.path.abspath(__file__)))))
        self.assertIn(b'swift.conf=%s ' % conf.swift_conf_path.encode(), out)
        self.assertIn(b'constraints_loaded=True', out)


class TestSaioWithoutServers(TempDirTestCase):

    def test_env_and_status_when_stopped(self):
        saio = Saio(self.state_dir, base_port=23000)
        env = saio.env()
        self.assertEqual(env['endpoint'], 'http://127.0.0.1:23000')
        self.assertEqual(env['stock_endpoint'], 'http://127.0.0.1:23001')
        self.assertEqual(env['users']['test2:tester3'], 'testing3')
        self.assertEqual(env['accounts']['test2:tester3'], 'AUTH_test2')
        self.assertFalse(saio.is_running())
        self.assertEqual(saio.stop(), [])
        self.assertEqual(set(saio.status()), {
            'account', 'container', 'object', 'proxy-ours', 'proxy-stock'})

    def test_cli_env(self):
        out = io.StringIO()
        self.assertEqual(cli.main(['--state-dir', self.state_dir, 'env'],
                                  out=out), 0)
        lines = out.getvalue().splitlines()
        self.assertIn('export AWS_ACCESS_KEY_ID=test:tester', lines)
        self.assertIn('export AWS_DEFAULT_REGION=us-east-1', lines)
        self.assertIn('export AWS_ENDPOINT_URL=http://127.0.0.1:18080',
                      lines)
        self.assertIn('export SAIO_STATE_DIR=%s' % self.state_dir, lines)

    def test_commit_delay_is_kept(self):
        args = cli.make_parser().parse_args(['start', '--commit-delay', '0.3'])
        self.assertEqual(0.3, args.commit_delay)
        saio = Saio(self.state_dir, base_port=23000, commit_delay=0.3)
        os.makedirs(self.state_dir, exist_ok=True)
        saio._write_settings()      # what start() saves
        again = Saio.load(self.state_dir)
        self.assertEqual(0.3, again.config.commit_delay)
        self.assertEqual(0.3, again.env()['commit_delay'])
        self.assertIn('commit_delay = 0.3',
                      again.config.backend_conf('object'))
        # a start that says 0 runs Swift's own object server again
        self.assertEqual(0, Saio.load(self.state_dir, commit_delay=0)
                         .config.commit_delay)

    def test_cli_rejects_bad_option(self):
        with self.assertRaises(SystemExit):
            cli.make_parser().parse_args(
                ['start', '--s3api-option', 'no-equals-sign'])
        args = cli.make_parser().parse_args(
            ['start', '--state-dir', 'x', '--s3api-option', 'a=1',
             '--s3api-option', 'b=2', '--no-stock'])
        self.assertEqual(args.s3api_options, [('a', '1'), ('b', '2')])
        self.assertEqual(args.proxies, ['ours'])
        self.assertEqual(args.state_dir, 'x')


if __name__ == '__main__':
    unittest.main()


class TestTerminateRecordedPid(unittest.TestCase):
    def test_popen_of_an_earlier_process_is_ignored(self):
        """stop() of a Saio object whose proxy another object restarted
        must kill the recorded pid, not ask the old Popen (which exited)."""
        old = subprocess.Popen([sys.executable, '-c', 'pass'])
        old.wait()
        new = subprocess.Popen([sys.executable, '-c',
                                'import time; time.sleep(30)'])
        try:
            self.assertTrue(saio_process.terminate(new.pid, None, 5,
                                                   popen=old))
            self.assertIsNotNone(new.wait(5))
        finally:
            if new.poll() is None:
                new.kill()
