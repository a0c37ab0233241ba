"""A self-contained Swift-All-In-One for testing swift3_multipart.

One state directory holds the configs, rings, logs and pid files (see
:mod:`test.saio.config`); the devices are on tmpfs when there is
one. :class:`Saio` runs, all on 127.0.0.1 and each as a single process:

* the ``ours`` proxy on the base port, with
  ``[filter:s3api] use = egg:swift3_multipart#s3api``;
* the ``stock`` proxy on base port + 1, with Swift's own ``egg:swift#s3api``
  and otherwise the same pipeline, over the same backend, for cross checks;
* opt-in (``proxies=('ours', 'stock', 'raw')``), the ``raw`` proxy on base
  port + 2: the same pipeline without s3api and without auth, so Swift
  authorizes everything (``/v1/AUTH_test/...`` with no token); for
  benchmarks only;
* one account, one container and one object server serving all devices
  (with ``object_servers_per_device=True``, one object server per device,
  which a fault test can stop and start: see
  :mod:`test.saio.faults`);
* memcached, only if a ``memcached`` binary is on PATH (else the pipelines
  have no ``cache`` filter).

With ``tls=True`` the proxies serve https with a self-signed certificate
made at start (see :mod:`test.saio.tls`); clients trust
``env()['ca_file']``. That is what makes boto3 send ``aws-chunked`` bodies
with trailing checksums, as it does against AWS.

Example::

    saio = Saio('/tmp/saio', s3api_options={'min_segment_size': 1024})
    saio.start()
    try:
        env = saio.env()        # endpoint, keys, log paths...
        client = saio.internal_client()
    finally:
        saio.stop()

PIDs are kept in files, so another process (the ``bin/saio``
command) can stop what this one started.
"""

import json
import os
import shutil
import sys

from test.saio import process
from test.saio.faults import ServerControl
from test.saio import tls as saio_tls
from test.saio.config import (
    DEFAULT_BASE_PORT, PROXY_NAMES, REGION, TEMPAUTH, USERS, SaioConfig,
    access_key, write_file)
from test.saio.process import SaioError
from test.saio.swiftdir import use_state_dir

__all__ = ['Saio', 'SaioError', 'use_state_dir', 'DEFAULT_BASE_PORT']

SETTINGS_FILE = 'saio.json'
USER_AGENT = 'swift3-multipart-saio'


def ours_installed():
    """True if paste.deploy can find ``egg:swift3_multipart#s3api``."""
    from importlib import metadata
    try:
        dist = metadata.distribution('swift3_multipart')
    except metadata.PackageNotFoundError:
        return False
    return any(ep.group == 'paste.filter_factory' and ep.name == 's3api'
               for ep in dist.entry_points)


class Saio(ServerControl):
    """A SAIO whose files live in ``state_dir``.

    :param state_dir: state directory (created if needed)
    :param base_port: port of the ``ours`` proxy; every port is below 32768
    :param replicas: replica count of the rings (devices: max(2, n + 1))
    :param s3api_options: dict of extra ``[filter:s3api]`` options of both
        proxies, e.g. ``{'min_segment_size': 1024}``
    :param proxies: which proxies to run, some of
        ``('ours', 'stock', 'raw')``; ``raw`` (no s3api, no auth) is for
        benchmarks
    :param timeout: seconds to wait for the servers to be ready
    :param tls: serve the proxies over https (self-signed certificate)
    :param object_servers_per_device: one object server process per device
        (``object-sdb1``...; see :mod:`test.saio.faults`)
    :param commit_delay: seconds each object PUT waits between its body and
        its commit (see :mod:`test.saio.slowcommit`)
    :param encryption: Swift's encryption middleware in the proxies
    :param auth: ``tempauth`` or ``keystone`` (a real Keystone, see
        :mod:`test.saio.keystone_service`)
    """

    def __init__(self, state_dir, base_port=DEFAULT_BASE_PORT, replicas=1,
                 s3api_options=None, proxies=PROXY_NAMES, timeout=30.0,
                 tls=False, object_servers_per_device=False, commit_delay=0,
                 encryption=False, auth=TEMPAUTH):
        self.state_dir = os.path.abspath(os.path.expanduser(state_dir))
        self.timeout = timeout
        self._popens = {}
        saved = self._read_settings()
        self.config = SaioConfig(
            self.state_dir, base_port=base_port, replicas=replicas,
            s3api_options=s3api_options, proxies=proxies,
            memcache_port=saved.get('memcache_port'),
            data_dir=saved.get('data_dir'), tls=tls,
            object_servers_per_device=object_servers_per_device,
            commit_delay=commit_delay, encryption=encryption, auth=auth)

    @classmethod
    def load(cls, state_dir, **overrides):
        """A Saio with the settings its last ``start()`` saved.

        :param overrides: constructor arguments that win over the saved ones
        """
        saio = cls(state_dir)
        kwargs = {k: v for k, v in saio._read_settings().items()
                  if k in ('base_port', 'replicas', 's3api_options',
                           'proxies', 'tls', 'object_servers_per_device',
                           'commit_delay', 'encryption', 'auth')}
        kwargs.update((k, v) for k, v in overrides.items() if v is not None)
        return cls(state_dir, **kwargs)

    # --- state ------------------------------------------------------------

    def _read_settings(self):
        try:
            with open(os.path.join(self.state_dir, SETTINGS_FILE)) as fp:
                return json.load(fp)
        except (IOError, OSError, ValueError):
            return {}

    def _write_settings(self):
        conf = self.config
        write_file(os.path.join(self.state_dir, SETTINGS_FILE), json.dumps({
            'base_port': conf.base_port,
            'replicas': conf.replicas,
            's3api_options': conf.extra_s3api_options,
            'proxies': list(conf.proxies),
            'memcache_port': conf.memcache_port,
            'data_dir': conf.data_dir,
            'tls': conf.tls,
            'object_servers_per_device': conf.object_servers_per_device,
            'commit_delay': conf.commit_delay,
            'encryption': conf.encryption,
            'auth': conf.auth,
        }, indent=2, sort_keys=True) + '\n')

    @property
    def process_names(self):
        """Names of our processes, in start order."""
        names = ['keystone'] if self.config.keystone else []
        if self.config.memcache_port:
            names.append('memcached')
        names.extend(self.config.backend_servers)
        names.extend('proxy-' + name for name in self.config.proxies)
        return names

    def _pid_path(self, name):
        return self.config.path('run', '%s.pid' % name)

    def _recorded(self):
        """{name: (pid, start time)} of every pid file in the run dir."""
        recorded = {}
        run_dir = self.config.path('run')
        for filename in sorted(os.listdir(run_dir)) if os.path.isdir(
                run_dir) else ():
            if filename.endswith('.pid'):
                found = process.read_pid_file(os.path.join(run_dir, filename))
                if found:
                    recorded[filename[:-4]] = found
        return recorded

    def _port_of(self, name):
        return self.config.port(name[len('proxy-'):] if name.startswith(
            'proxy-') else name)

    def status(self):
        """{process name: {'pid', 'running', 'port', 'log'}}.

        Covers the processes the settings call for and any pid file found.
        """
        recorded = self._recorded()
        result = {}
        for name in self.process_names + sorted(
                set(recorded) - set(self.process_names)):
            pid, started = recorded.get(name, (None, None))
            result[name] = {
                'pid': pid,
                'running': bool(pid) and process.is_alive(pid, started),
                'port': self._port_of(name) if name in self.process_names
                else None,
                'log': self.config.log_path(name),
            }
        return result

    def is_running(self):
        """True if every process the settings call for is running."""
        return all(s['running'] for s in self.status().values())

    # --- start / stop -----------------------------------------------------

    def _spawn(self, name):
        conf = self.config
        if name == 'memcached':
            argv = [shutil.which('memcached'), '-l', '127.0.0.1',
                    '-p', str(conf.memcache_port), '-U', '0', '-m', '64']
            if os.geteuid() == 0:
                argv.extend(['-u', conf.user])
        elif name == 'keystone':
            keystone = conf.keystone
            popen = process.spawn(keystone.prepare(), keystone.log_path,
                                  env=keystone.env())
            self._popens[name] = popen
            process.write_pid_file(self._pid_path(name), popen.pid)
            return popen
        elif name.startswith('proxy-'):
            argv = [sys.executable, '-m', 'test.saio.server',
                    'proxy', conf.proxy_conf_path(name[len('proxy-'):])]
        else:
            argv = [sys.executable, '-m', 'test.saio.server',
                    name.split('-', 1)[0], conf.backend_conf_path(name)]
        popen = process.spawn(argv, conf.log_path(name),
                              env=process.child_env(PYTHONUNBUFFERED='1'))
        self._popens[name] = popen
        process.write_pid_file(self._pid_path(name), popen.pid)
        return popen

    def _ready_check(self, name):
        if name == 'memcached':
            def ready():
                return process.port_accepts(self.config.memcache_port)
        elif name == 'keystone':
            url = self.config.keystone.url

            def ready():
                return process.http_status(url) == 200
        else:
            scheme, context = 'http', None
            if name.startswith('proxy-') and self.config.tls:
                scheme = 'https'
                context = saio_tls.client_context(self.config.cert_path)
            url = '%s://127.0.0.1:%d/healthcheck' % (
                scheme, self._port_of(name))

            def ready():
                return process.http_status(url, context=context) == 200
        return (name, ready, self._popens.get(name),
                self.config.log_path(name))

    def _start_group(self, names):
        for name in names:
            self._spawn(name)
        process.wait_until_ready([self._ready_check(n) for n in names],
                                 timeout=self.timeout)

    def start(self):
        """Write configs and rings, start every server, wait until ready.

        :raises SaioError: if already running, if ``egg:swift3_multipart``
            is not installed while the ``ours`` proxy is wanted, if a port
            is taken, or if a server does not get ready (with its log tail)
        """
        running = [n for n, s in self.status().items() if s['running']]
        if running:
            raise SaioError(
                'SAIO in %s already running (%s); stop it first, e.g. with '
                '"bin/saio --state-dir %s stop"'
                % (self.state_dir, ', '.join(running), self.state_dir))
        if 'ours' in self.config.proxies and not ours_installed():
            raise SaioError(
                'egg:swift3_multipart#s3api is not installed (no '
                'swift3_multipart distribution with a paste.filter_factory '
                'entry point "s3api"); run "pip install -e <checkout>" in '
                'this Python (%s), or start only the stock proxy'
                % sys.executable)
        conf = self.config
        conf.memcache_port = (conf.port('memcached')
                              if shutil.which('memcached') else None)
        taken = [n for n in self.process_names
                 if process.port_in_use(self._port_of(n))]
        if taken:
            raise SaioError('port(s) already in use: %s' % ', '.join(
                '%d (%s)' % (self._port_of(n), n) for n in taken))
        conf.write()
        self._write_settings()
        for name in list(self._recorded()):
            process.remove_file(self._pid_path(name))  # stale
        backends = [n for n in self.process_names
                    if not n.startswith('proxy-') and n != 'keystone']
        try:
            if conf.keystone:
                self._start_group(['keystone'])
                conf.keystone.provision()
            self._start_group(backends)
            self._start_group(
                [n for n in self.process_names if n.startswith('proxy-')])
        except BaseException:
            self.stop()
            raise

    def stop(self, timeout=10.0):
        """SIGTERM each recorded PID, SIGKILL after ``timeout`` seconds.

        Proxies go first, memcached last. Pid files are removed.

        :returns: names of the processes that were running
        """
        recorded = self._recorded()
        order = [n for n in reversed(self.process_names) if n in recorded]
        order.extend(sorted(set(recorded) - set(order)))
        stopped = []
        for name in order:
            pid, started = recorded[name]
            if process.terminate(pid, started, timeout,
                                 popen=self._popens.pop(name, None),
                                 log_path=self.config.log_path(name)):
                stopped.append(name)
            process.remove_file(self._pid_path(name))
        return stopped

    def restart_proxy(self, name):
        """Restart one proxy (``'ours'``, ``'stock'``, ``'raw'``) with a
        fresh config.

        Change ``saio.config.extra_s3api_options`` first to try other
        options; the other proxy keeps running with its config.
        """
        if name not in self.config.proxies:
            raise SaioError('no proxy %r in this SAIO (%s)' % (
                name, ', '.join(self.config.proxies)))
        process_name = 'proxy-' + name
        write_file(self.config.proxy_conf_path(name),
                   self.config.proxy_conf(name))
        found = process.read_pid_file(self._pid_path(process_name))
        if found:
            process.terminate(found[0], found[1], self.timeout,
                              popen=self._popens.pop(process_name, None),
                              log_path=self.config.log_path(process_name))
        self._write_settings()
        try:
            self._start_group([process_name])
        except SaioError:
            self.stop()
            raise

    def wipe(self):
        """Remove all stored data (the devices directory); must be stopped."""
        if any(s['running'] for s in self.status().values()):
            raise SaioError('stop the SAIO before wiping its data')
        data_dir = self.config.data_dir
        if os.path.isdir(data_dir):
            shutil.rmtree(data_dir)

    # --- for clients ------------------------------------------------------

    def _endpoint(self, name):
        if name not in self.config.proxies:
            return None
        return '%s://127.0.0.1:%d' % (self.config.scheme,
                                      self.config.port(name))

    @property
    def endpoint(self):
        """URL of the ``ours`` proxy (None if not run)."""
        return self._endpoint('ours')

    @property
    def stock_endpoint(self):
        """URL of the ``stock`` proxy (None if not run)."""
        return self._endpoint('stock')

    @property
    def raw_endpoint(self):
        """URL of the ``raw`` proxy (no s3api, no auth; None if not run)."""
        return self._endpoint('raw')

    @property
    def internal_client_conf(self):
        return self.config.internal_client_conf_path

    @property
    def proxy_log(self):
        """Log file of the ``ours`` proxy (or of the only proxy)."""
        return self.config.log_path('proxy-' + self.config.proxies[0])

    def env(self):
        """Everything a client needs, as a dict.

        Keys: ``endpoint``, ``stock_endpoint`` and ``raw_endpoint`` (None
        for a proxy not run), ``region``, ``access_key``/``secret_key``
        (test:tester), ``users`` ({access key: secret}), ``access_keys``
        ({user name: access key}, e.g. tester2: test:tester2), ``user_groups``,
        ``accounts`` ({access key: 'AUTH_...'}), ``auth_url`` (tempauth
        v1.0),
        ``state_dir``, ``internal_client_conf``, ``proxy_log`` (of
        ``ours``), ``proxy_logs`` ({proxy: path}), ``log_dir``, ``data_dir``,
        ``memcache`` (host:port or None), ``replicas``, ``s3api_options``,
        ``ca_file`` (the proxies' certificate with ``tls``, else None),
        ``auth`` (``tempauth`` or ``keystone``), ``keystone_url`` (v3, or
        None) and ``keystone_ids`` ({'projects': {name: id}, 'users':
        {name: id}}, or None).

        With Keystone the users are
        :data:`test.saio.keystone_service.USERS` (the same access keys and
        secrets, as EC2 credentials; ``user_groups`` gives their roles) and
        their accounts ``AUTH_<project id>``; its ``auth_url`` is
        Keystone's.
        """
        conf = self.config
        users = {access_key(a, u): p for a, u, p, _g in USERS}
        groups = {access_key(a, u): g.split() for a, u, _p, g in USERS}
        by_name = {u: access_key(a, u) for a, u, _p, _g in USERS}
        accounts = {access_key(a, u): 'AUTH_' + a for a, u, _p, _g in USERS}
        auth_url = '%s://127.0.0.1:%d/auth/v1.0' % (
            conf.scheme, conf.port(conf.proxies[0]))
        keystone_ids = None
        first = access_key(*USERS[0][:2])
        if conf.keystone:
            from test.saio import keystone_service as keystone
            keystone_ids = conf.keystone.ids()
            ec2 = keystone.access_key
            users = {ec2(a, u): p for a, u, p, _r in keystone.USERS}
            groups = {ec2(a, u): list(r) for a, u, _p, r in keystone.USERS}
            by_name = {u: ec2(a, u) for a, u, _p, _r in keystone.USERS}
            accounts = {
                ec2(a, u): 'AUTH_%s' % keystone_ids['projects'].get(a)
                for a, u, _p, _r in keystone.USERS}
            first = ec2(*keystone.USERS[0][:2])
            auth_url = conf.keystone.url
        return {
            'endpoint': self.endpoint,
            'stock_endpoint': self.stock_endpoint,
            'raw_endpoint': self.raw_endpoint,
            'region': REGION,
            'access_key': first,
            'secret_key': users[first],
            'users': users,
            'access_keys': by_name,
            'user_groups': groups,
            'accounts': accounts,
            'auth_url': auth_url,
            'auth': conf.auth,
            'keystone_url': conf.keystone.url if conf.keystone else None,
            'keystone_ids': keystone_ids,
            'state_dir': self.state_dir,
            'internal_client_conf': self.internal_client_conf,
            'proxy_log': self.proxy_log,
            'proxy_logs': {name: conf.log_path('proxy-' + name)
                           for name in conf.proxies},
            'log_dir': conf.path('logs'),
            'data_dir': conf.data_dir,
            'memcache': conf.memcache_servers,
            'replicas': conf.replicas,
            'commit_delay': conf.commit_delay,
            'encryption': conf.encryption,
            's3api_options': conf.s3api_options,
            'ca_file': conf.cert_path if conf.tls else None,
        }

    def internal_client(self, request_tries=3):
        """A ``swift.common.internal_client.InternalClient`` on this SAIO.

        Calls :func:`use_state_dir` first, in this process.
        """
        use_state_dir(self.state_dir)
        from swift.common.internal_client import InternalClient
        return InternalClient(self.internal_client_conf, USER_AGENT,
                              request_tries)
