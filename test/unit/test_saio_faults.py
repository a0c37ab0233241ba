"""Unit tests of the SAIO's object servers per device and of stopping and
starting single servers (test.saio.faults); the processes
signalled are sleeping Pythons, no Swift server is started."""

import os
import signal
import subprocess
import sys
import unittest
from unittest import mock

from test.saio import Saio, SaioError
from test.saio import faults
from test.saio import process as saio_process
from test.saio.config import BACKEND_KINDS, MAX_PORT, \
    OBJECT_DEVICE_OFFSET, PORT_OFFSETS
from test.unit.test_saio_config import TempDirTestCase, parse

SLEEPER = [sys.executable, '-c', 'import time; time.sleep(30)']


class TestOneObjectServer(TempDirTestCase):

    def test_default_unchanged(self):
        for replicas in (1, 3):
            conf = self.make_config(replicas=replicas, base_port=20000)
            self.assertEqual(conf.object_servers, ['object'])
            self.assertEqual(conf.backend_servers,
                             ['account', 'container', 'object'])
            self.assertEqual({d['port'] for d in conf.ring_devices(
                'object')}, {20010})

    def test_status_names(self):
        saio = Saio(self.state_dir, base_port=23000, replicas=3)
        self.assertEqual(set(saio.status()), {
            'account', 'container', 'object', 'proxy-ours', 'proxy-stock'})


class TestObjectServersPerDevice(TempDirTestCase):

    def make_config(self, **kwargs):
        kwargs.setdefault('object_servers_per_device', True)
        return super().make_config(**kwargs)

    def test_names_and_ports(self):
        conf = self.make_config(replicas=3, base_port=20000)
        self.assertEqual(conf.object_servers, [
            'object-sdb1', 'object-sdb2', 'object-sdb3', 'object-sdb4'])
        self.assertEqual(conf.backend_servers, [
            'account', 'container', 'object-sdb1', 'object-sdb2',
            'object-sdb3', 'object-sdb4'])
        ports = [conf.port(name) for name in conf.object_servers]
        self.assertEqual(ports, [20013, 20014, 20015, 20016])
        # none taken by another server
        self.assertFalse(set(ports) & {conf.port(n) for n in PORT_OFFSETS})

    def test_ring_devices_on_their_servers(self):
        conf = self.make_config(replicas=3, base_port=20000)
        self.assertEqual(
            [(d['device'], d['port'], d['replication_port'])
             for d in conf.ring_devices('object')],
            [('sdb1', 20013, 20013), ('sdb2', 20014, 20014),
             ('sdb3', 20015, 20015), ('sdb4', 20016, 20016)])
        # accounts and containers keep one server each
        self.assertEqual({d['port'] for d in conf.ring_devices(
            'container')}, {20011})
        self.assertEqual({d['port'] for d in conf.ring_devices(
            'account')}, {20012})

    def test_backend_conf(self):
        conf = self.make_config(replicas=3, base_port=20000)
        parser = parse(conf.backend_conf('object-sdb2'))
        self.assertEqual(parser.defaults()['bind_port'], '20014')
        self.assertEqual(parser.defaults()['bind_ip'], '127.0.0.1')
        self.assertEqual(parser.defaults()['log_name'], 'object-sdb2-server')
        self.assertEqual(parser.defaults()['devices'], self.data_dir)
        self.assertEqual(parser.get('pipeline:main', 'pipeline'),
                         'healthcheck object-server')
        self.assertEqual(parser.get('app:object-server', 'use'),
                         'egg:swift#object')
        with self.assertRaises(ValueError):
            conf.backend_conf('object-sdb5')
        with self.assertRaises(ValueError):
            self.make_config(object_servers_per_device=False).backend_conf(
                'object-sdb1')

    def test_too_many_devices(self):
        max_servers = PORT_OFFSETS['memcached'] - OBJECT_DEVICE_OFFSET
        self.make_config(replicas=max_servers - 1)
        with self.assertRaises(ValueError):
            self.make_config(replicas=max_servers)
        # below memcached's port, which is checked already
        conf = self.make_config(base_port=MAX_PORT - PORT_OFFSETS[
            'memcached'], replicas=max_servers - 1)
        self.assertLess(max(conf.port(n) for n in conf.object_servers),
                        MAX_PORT)

    def test_write(self):
        from swift.common.ring import RingData
        conf = self.make_config(replicas=3)
        conf.write()
        ring = RingData.load(conf.path('object.ring.gz'))
        self.assertEqual(sorted(d['port'] for d in ring.devs),
                         [conf.port(n) for n in conf.object_servers])
        for name in conf.backend_servers:
            self.assertTrue(os.path.isfile(conf.backend_conf_path(name)))
        self.assertFalse(os.path.exists(conf.backend_conf_path('object')))
        for kind in BACKEND_KINDS:
            self.assertEqual(RingData.load(conf.path(
                '%s.ring.gz' % kind)).replica_count, 3)

    def test_saio_names_and_settings(self):
        saio = Saio(self.state_dir, base_port=23000, replicas=3,
                    object_servers_per_device=True)
        self.assertEqual(saio.process_names, [
            'account', 'container', 'object-sdb1', 'object-sdb2',
            'object-sdb3', 'object-sdb4', 'proxy-ours', 'proxy-stock'])
        self.assertEqual(saio.status()['object-sdb3']['port'], 23015)
        os.makedirs(self.state_dir)
        saio._write_settings()
        self.assertTrue(Saio.load(self.state_dir).config
                        .object_servers_per_device)
        self.assertFalse(Saio.load(
            self.state_dir, object_servers_per_device=False).config
            .object_servers_per_device)


class TestServerControl(TempDirTestCase):
    """stop_server/kill_proxy signal the recorded PID, and only that."""

    def setUp(self):
        super().setUp()
        self.saio = Saio(self.state_dir, base_port=23000, replicas=3,
                         object_servers_per_device=True, timeout=5)
        os.makedirs(self.saio.config.path('run'))
        os.makedirs(self.saio.config.path('logs'))
        self.sleepers = []

    def tearDown(self):
        for popen in self.sleepers:
            if popen.poll() is None:
                popen.kill()
            popen.wait()
        super().tearDown()

    def fake_server(self, name):
        """A sleeping process recorded as ``name``."""
        popen = subprocess.Popen(SLEEPER)
        self.sleepers.append(popen)
        saio_process.write_pid_file(self.saio._pid_path(name), popen.pid)
        return popen

    def test_stop_server(self):
        sdb2 = self.fake_server('object-sdb2')
        sdb3 = self.fake_server('object-sdb3')
        self.assertEqual(self.saio.pid('object-sdb2'), sdb2.pid)
        self.assertEqual(self.saio.stop_server('object-sdb2'), sdb2.pid)
        self.assertEqual(sdb2.wait(5), -signal.SIGTERM)
        self.assertIsNone(sdb3.poll())
        self.assertIsNone(self.saio.pid('object-sdb2'))
        self.assertFalse(self.saio.status()['object-sdb2']['running'])
        self.assertTrue(self.saio.status()['object-sdb3']['running'])
        self.assertIsNone(self.saio.stop_server('object-sdb2'))
        with open(self.saio.config.log_path('object-sdb2')) as log:
            self.assertIn('stopping pid %d' % sdb2.pid, log.read())

    def test_kill_proxy(self):
        proxy = self.fake_server('proxy-ours')
        stock = self.fake_server('proxy-stock')
        self.assertEqual(self.saio.kill_proxy(), proxy.pid)
        self.assertEqual(proxy.wait(5), -signal.SIGKILL)
        self.assertIsNone(stock.poll())
        self.assertIsNone(self.saio.kill_proxy())
        with open(self.saio.config.log_path('proxy-ours')) as log:
            self.assertIn('killing pid %d' % proxy.pid, log.read())

    def test_unknown_names(self):
        for call in (self.saio.pid, self.saio.stop_server,
                     self.saio.start_server):
            with self.assertRaises(SaioError):
                call('object')  # this SAIO has one per device
        with self.assertRaises(SaioError):
            self.saio.kill_proxy('raw')

    def test_start_running_server(self):
        self.fake_server('object-sdb1')
        with self.assertRaises(SaioError) as caught:
            self.saio.start_server('object-sdb1')
        self.assertIn('running already', str(caught.exception))

    def test_kill_a_dead_or_recycled_pid(self):
        popen = subprocess.Popen([sys.executable, '-c', 'pass'])
        popen.wait()
        self.assertFalse(faults.kill(popen.pid, popen=popen))
        alive = subprocess.Popen(SLEEPER)
        self.sleepers.append(alive)
        # another start time: not ours any more
        self.assertFalse(faults.kill(alive.pid, started='1'))
        self.assertIsNone(alive.poll())


class TestReplicateObjects(TempDirTestCase):

    def setUp(self):
        super().setUp()
        self.saio = Saio(self.state_dir, base_port=23000, replicas=3,
                         object_servers_per_device=True)
        os.makedirs(self.saio.config.path('logs'))

    def test_one_pass_per_object_server_in_a_child(self):
        with mock.patch('subprocess.call', return_value=0) as call:
            self.saio.replicate_objects()
        argv = call.call_args[0][0]
        self.assertEqual(argv[:3], [sys.executable, '-m',
                                    'test.saio.replicate'])
        self.assertEqual(argv[3:], [
            self.saio.config.backend_conf_path('object-sdb%d' % n)
            for n in range(1, 5)])

    def test_failure_raises_with_the_log(self):
        with mock.patch('subprocess.call', return_value=1):
            with self.assertRaises(SaioError) as caught:
                self.saio.replicate_objects()
        self.assertIn('object-replicator.log', str(caught.exception))

    def test_replicate_in_a_fresh_process_without_devices(self):
        """A real pass over written configs and empty devices."""
        self.saio.config.data_dir = self.data_dir
        self.saio.config.write()
        self.saio.replicate_objects(timeout=60)
        with open(self.saio.config.log_path('object-replicator')) as log:
            text = log.read()
        self.assertEqual(text.count('Object replication complete'), 4)
        self.assertNotIn('Traceback', text)


if __name__ == '__main__':
    unittest.main()
