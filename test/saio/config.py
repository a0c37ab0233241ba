"""Configuration files and rings of a Swift-All-In-One.

Everything a SAIO needs lives in one *state directory*::

    swift.conf                       hash path prefix/suffix, Policy-0
    account.ring.gz (+ .builder)     the three rings, all devices on
    container.ring.gz (+ .builder)   127.0.0.1, one server per ring
    object.ring.gz (+ .builder)
    proxy-server-ours.conf           s3api = egg:swift3_multipart#s3api
    proxy-server-stock.conf          s3api = egg:swift#s3api
    proxy-server-raw.conf            no s3api, no auth (opt-in, benchmarks)
    account-server.conf, container-server.conf, object-server.conf
                                     (or object-sdb<n>-server.conf, one
                                     per device; see below)
    internal-client.conf             for swift's InternalClient
    proxy-cert.pem, proxy-key.pem    with tls=True: the proxies' self-signed
                                     certificate (the clients' CA) and key
    logs/, run/                      log files and pid files
    data                             symlink to the devices directory

The devices live on tmpfs (``/dev/shm``) when there is one: Swift keeps
object metadata in extended attributes, and ext4 has little room for them.

:class:`SaioConfig` computes every setting from a few parameters; its
``*_conf()`` methods return the text of a file without touching the disk,
and :meth:`SaioConfig.write` writes them all, with the rings.

With ``object_servers_per_device``, each device has an object server of its
own (``object-sdb1``, ``object-sdb2``...: own port, own ring entry, as the
nodes of a real cluster), so that a test can stop one of them.
"""

import base64
import hashlib
import os
import pwd
import re
import uuid
from configparser import ConfigParser

from test.saio import tls as saio_tls

# the proxies a SAIO runs by default
PROXY_NAMES = ('ours', 'stock')
# Opt-in: the same pipeline without s3api and without any auth filter, so
# Swift authorizes every request. For benchmarks (the raw Swift PUT a part
# upload is measured against): it listens on 127.0.0.1 only, as all others.
RAW_PROXY = 'raw'
PROXY_KINDS = PROXY_NAMES + (RAW_PROXY,)
S3API_USES = {
    'ours': 'egg:swift3_multipart#s3api',
    'stock': 'egg:swift#s3api',
}
BACKEND_KINDS = ('account', 'container', 'object')
# the object server of a SAIO with a commit delay
SLOW_OBJECT_SERVER = 'test.saio.slowcommit:app_factory'
DEFAULT_BASE_PORT = 18080
MAX_PORT = 32767
# offsets from the base port; proxies first, backends and memcached above
PORT_OFFSETS = {'ours': 0, 'stock': 1, 'raw': 2, 'keystone': 5,
                'object': 10, 'container': 11, 'account': 12,
                'memcached': 19}
# who authenticates S3 users: tempauth in the proxies, or a real Keystone
# (test.saio.keystone_service) through s3token, authtoken, keystoneauth
TEMPAUTH = 'tempauth'
KEYSTONE = 'keystone'
AUTH_MODES = (TEMPAUTH, KEYSTONE)
# s3api's docs' order for Keystone: authtoken, s3api, s3token, keystoneauth
KEYSTONE_AUTH = ('authtoken', 's3api', 's3token', 'keystoneauth')
# object servers per device: device i listens on base + 13 + i (6 at most)
OBJECT_DEVICE_OFFSET = 13
MAX_OBJECT_SERVERS = PORT_OFFSETS['memcached'] - OBJECT_DEVICE_OFFSET
REGION = 'us-east-1'
PART_POWER = 8
DEFAULT_MAX_UPLOAD_PART_NUM = 10000
DEFAULT_S3API_OPTIONS = {
    'max_upload_part_num': str(DEFAULT_MAX_UPLOAD_PART_NUM)}
# (account, user, password, groups); the S3 access key is "account:user"
USERS = (
    ('test', 'tester', 'testing', '.admin'),
    ('test', 'tester2', 'testing2', ''),
    ('test2', 'tester3', 'testing3', '.admin'),
    ('admin', 'admin', 'admin', '.admin .reseller_admin'),
)
# Swift's own defaults, written out so that one can see (and edit) them
SWIFT_CONSTRAINTS = (
    ('max_file_size', 5368709122), ('max_meta_name_length', 128),
    ('max_meta_value_length', 256), ('max_meta_count', 90),
    ('max_meta_overall_size', 4096), ('max_header_size', 8192),
    ('max_object_name_length', 1024), ('container_listing_limit', 10000),
    ('account_listing_limit', 10000), ('max_account_name_length', 256),
    ('max_container_name_length', 256),
)
# the order of Swift's proxy-server.conf-sample, minus what we do not use
PROXY_PIPELINE = (
    'catch_errors', 'gatekeeper', 'healthcheck', 'proxy-logging', 'cache',
    'listing_formats', 's3api', 'tempauth', 'copy', 'slo', 'dlo',
    'versioned_writes', 'symlink', 'proxy-logging', 'proxy-server')
# with encryption=True, before the pipeline's last proxy-logging
ENCRYPTION_FILTERS = ('keymaster', 'encryption')
# what the raw proxy leaves out of PROXY_PIPELINE
S3_AND_AUTH = ('s3api', 'tempauth') + KEYSTONE_AUTH
INTERNAL_CLIENT_PIPELINE = (
    'catch_errors', 'proxy-logging', 'cache', 'proxy-server')
_OPTION_NAME = re.compile(r'^[a-z][a-z0-9_]*$')


def access_key(account, user):
    """The S3 access key (and tempauth user name) of a user."""
    return '%s:%s' % (account, user)


def current_user():
    """Name of the user we run as; Swift servers want a ``user`` option."""
    return pwd.getpwuid(os.getuid()).pw_name


def default_data_dir(state_dir, shm_dir='/dev/shm'):
    """Devices directory: on tmpfs if there is one, else in the state dir.

    The tmpfs directory name is unique per (absolute, resolved) state dir.
    """
    state_dir = os.path.realpath(os.path.abspath(state_dir))
    if os.path.isdir(shm_dir) and os.access(shm_dir, os.W_OK):
        digest = hashlib.sha1(state_dir.encode('utf8')).hexdigest()[:12]
        return os.path.join(shm_dir, 'swift3-multipart-saio-' + digest)
    return os.path.join(state_dir, 'devices')


def parse_option(text):
    """Parse ``key=value`` (as given to ``--s3api-option``) into a pair."""
    key, sep, value = text.partition('=')
    key, value = key.strip(), value.strip()
    if not sep or not _OPTION_NAME.match(key):
        raise ValueError('expected key=value, got %r' % (text,))
    return key, value


def check_options(options):
    """Validate s3api options; returns a new dict of str to str."""
    checked = {}
    for key, value in (options or {}).items():
        value = str(value)
        if not _OPTION_NAME.match(key):
            raise ValueError('invalid option name %r' % (key,))
        if '\n' in value or '\r' in value:
            raise ValueError('invalid value for option %s: %r' % (key, value))
        checked[key] = value
    if 'max_upload_part_num' in checked:
        try:
            if int(checked['max_upload_part_num']) < 1:
                raise ValueError
        except ValueError:
            raise ValueError('max_upload_part_num must be a positive integer')
    return checked


def render(sections):
    """Text of an ini file from a list of (section, [(key, value), ...])."""
    chunks = []
    for name, options in sections:
        lines = ['[%s]' % name]
        lines.extend('%s = %s' % (key, value) for key, value in options)
        chunks.append('\n'.join(lines) + '\n')
    return '\n'.join(chunks)


def read_hash_path_conf(swift_conf_path):
    """(prefix, suffix) of an existing swift.conf, or (None, None)."""
    parser = ConfigParser(interpolation=None)
    if not parser.read(swift_conf_path):
        return None, None
    return (parser.get('swift-hash', 'swift_hash_path_prefix', fallback=None),
            parser.get('swift-hash', 'swift_hash_path_suffix', fallback=None))


class SaioConfig(object):
    """Every setting of one SAIO, and the text of each of its files.

    :param state_dir: where configs, rings, logs and pid files go
    :param base_port: port of the ``ours`` proxy; others are offsets from it
    :param replicas: replica count of all three rings
    :param s3api_options: extra ``[filter:s3api]`` options of both proxies
    :param proxies: which of :data:`PROXY_KINDS` to run
    :param memcache_port: port of our memcached, or None to run without
        the ``cache`` filter
    :param data_dir: devices directory (default: :func:`default_data_dir`)
    :param object_servers_per_device: one object server process per device
        (``object-sdb1``...) instead of one ``object`` server for all
    :param tls: serve the proxies over https, with a self-signed
        certificate (see :mod:`test.saio.tls`)
    :param commit_delay: seconds every object server waits between a PUT's
        body and its commit (see :mod:`test.saio.slowcommit`);
        0 runs Swift's own object server
    :param encryption: Swift's ``keymaster`` and ``encryption`` filters in
        every proxy's pipeline (right of all others but the last
        proxy-logging, as Swift's docs say), with a root secret of this
        SAIO's own
    :param auth: ``tempauth`` (the default), or ``keystone``: a real
        Keystone (:mod:`test.saio.keystone_service`) on base port + 5, and
        ``authtoken s3api s3token keystoneauth`` in the proxies
    """

    def __init__(self, state_dir, base_port=DEFAULT_BASE_PORT, replicas=1,
                 s3api_options=None, proxies=PROXY_NAMES, memcache_port=None,
                 data_dir=None, tls=False, object_servers_per_device=False,
                 commit_delay=0, encryption=False, auth=TEMPAUTH):
        self.state_dir = os.path.abspath(os.path.expanduser(state_dir))
        if auth not in AUTH_MODES:
            raise ValueError('auth must be one of %s' % (AUTH_MODES,))
        self.auth = auth
        self.base_port = int(base_port)
        self.replicas = int(replicas)
        if self.replicas < 1:
            raise ValueError('replicas must be at least 1')
        self.proxies = tuple(proxies)
        unknown = set(self.proxies) - set(PROXY_KINDS)
        if unknown or not self.proxies:
            raise ValueError('proxies must be some of %s' % (PROXY_KINDS,))
        self.extra_s3api_options = check_options(s3api_options)
        self.memcache_port = memcache_port
        self.data_dir = data_dir or default_data_dir(self.state_dir)
        self.tls = bool(tls)
        self.user = current_user()
        self.object_servers_per_device = bool(object_servers_per_device)
        self.encryption = bool(encryption)
        self.commit_delay = float(commit_delay or 0)
        if self.commit_delay < 0:
            raise ValueError('commit_delay must not be negative')
        if self.object_servers_per_device and \
                self.device_count > MAX_OBJECT_SERVERS:
            raise ValueError('at most %d object servers per device; use '
                             'fewer replicas' % MAX_OBJECT_SERVERS)
        for name in list(PORT_OFFSETS) + self.object_servers:
            port = self.port(name)
            if not 0 < port <= MAX_PORT:
                raise ValueError('port %d of %s is not in 1..%d; use a lower '
                                 'base port' % (port, name, MAX_PORT))

    # --- names and numbers ---------------------------------------------

    def port(self, name):
        """Port of a proxy (``ours``/``stock``/``raw``), backend (also
        ``object-<device>``) or memcached."""
        if name.startswith('object-'):
            return self.base_port + OBJECT_DEVICE_OFFSET + self.devices.index(
                name[len('object-'):])
        return self.base_port + PORT_OFFSETS[name]

    @property
    def object_servers(self):
        """Process names of the object servers: ``object``, or one
        ``object-<device>`` per device."""
        if self.object_servers_per_device:
            return ['object-' + device for device in self.devices]
        return ['object']

    @property
    def backend_servers(self):
        """Process names of the backend servers, in start order."""
        return [k for k in BACKEND_KINDS if k != 'object'] + \
            self.object_servers

    @property
    def device_count(self):
        """Two devices, or one more than the replica count."""
        return max(2, self.replicas + 1)

    @property
    def devices(self):
        return ['sdb%d' % (i + 1) for i in range(self.device_count)]

    @property
    def s3api_options(self):
        """Options of ``[filter:s3api]``: our defaults, then the extras."""
        options = dict(DEFAULT_S3API_OPTIONS)
        options.update(self.extra_s3api_options)
        return options

    @property
    def max_upload_part_num(self):
        return int(self.s3api_options['max_upload_part_num'])

    @property
    def memcache_servers(self):
        if self.memcache_port is None:
            return None
        return '127.0.0.1:%d' % self.memcache_port

    @property
    def keystone(self):
        """The :class:`test.saio.keystone_service.Keystone` of ``auth =
        keystone`` (None with tempauth)."""
        if self.auth != KEYSTONE:
            return None
        from test.saio.keystone_service import Keystone
        return Keystone(self)

    def path(self, *parts):
        return os.path.join(self.state_dir, *parts)

    def proxy_conf_path(self, name):
        return self.path('proxy-server-%s.conf' % name)

    def backend_conf_path(self, kind):
        return self.path('%s-server.conf' % kind)

    @property
    def internal_client_conf_path(self):
        return self.path('internal-client.conf')

    @property
    def swift_conf_path(self):
        return self.path('swift.conf')

    @property
    def cert_path(self):
        """The proxies' certificate, also the CA file of their clients."""
        return self.path(saio_tls.CERT_FILE)

    @property
    def key_path(self):
        return self.path(saio_tls.KEY_FILE)

    @property
    def scheme(self):
        return 'https' if self.tls else 'http'

    def log_path(self, process_name):
        return self.path('logs', '%s.log' % process_name)

    def pipeline(self, names):
        """A pipeline without ``cache`` unless memcached runs; with
        ``keymaster encryption`` before its last proxy-logging if
        :attr:`encryption`."""
        names = [n for n in names
                 if n != 'cache' or self.memcache_servers is not None]
        if self.encryption and 'proxy-server' in names:
            at = names.index('proxy-server')
            if names[at - 1] == 'proxy-logging':
                at -= 1
            names[at:at] = list(ENCRYPTION_FILTERS)
        return names

    @property
    def encryption_root_secret(self):
        """The keymaster's root secret: base64 of 32 bytes, the same for
        the same state dir (a test SAIO's; data stays readable across
        restarts)."""
        digest = hashlib.sha256(
            ('swift3_multipart saio ' + self.state_dir).encode('utf-8'))
        return base64.b64encode(digest.digest()).decode('ascii')

    # --- file contents ---------------------------------------------------

    def swift_conf(self, hash_prefix, hash_suffix):
        return render([
            ('swift-hash', [('swift_hash_path_prefix', hash_prefix),
                            ('swift_hash_path_suffix', hash_suffix)]),
            ('storage-policy:0', [('name', 'Policy-0'), ('default', 'yes')]),
            ('swift-constraints', list(SWIFT_CONSTRAINTS)),
        ])

    def _default_section(self, port, log_name):
        return ('DEFAULT', [
            ('bind_ip', '127.0.0.1'),
            ('bind_port', port),
            ('workers', 0),
            ('user', self.user),
            ('swift_dir', self.state_dir),
            ('log_name', log_name),
            ('log_level', 'INFO'),
        ])

    def proxy_sections(self, name):
        """Sections of a proxy's config, as (section, [(key, value)]).

        The ``raw`` proxy has neither ``s3api`` nor ``tempauth``.
        """
        if name not in PROXY_KINDS:
            raise ValueError('unknown proxy %r' % (name,))
        pipeline = self.pipeline(PROXY_PIPELINE)
        if self.auth == KEYSTONE:
            at = pipeline.index('s3api')
            pipeline[at:at + 2] = KEYSTONE_AUTH
        if name == RAW_PROXY:
            pipeline = [n for n in pipeline if n not in S3_AND_AUTH]
        default = self._default_section(self.port(name), 'proxy-' + name)
        default[1].append(('expose_info', 'true'))
        if self.tls:
            default[1].extend([('cert_file', self.cert_path),
                               ('key_file', self.key_path)])
        sections = [
            default,
            ('pipeline:main', [('pipeline', ' '.join(pipeline))]),
            ('app:proxy-server', [('use', 'egg:swift#proxy'),
                                  ('allow_account_management', 'true'),
                                  ('account_autocreate', 'true')]),
            ('filter:catch_errors', [('use', 'egg:swift#catch_errors')]),
            ('filter:gatekeeper', [('use', 'egg:swift#gatekeeper')]),
            ('filter:healthcheck', [('use', 'egg:swift#healthcheck')]),
            ('filter:proxy-logging', [('use', 'egg:swift#proxy_logging')]),
            ('filter:listing_formats', [('use', 'egg:swift#listing_formats')]),
        ]
        if name != RAW_PROXY:
            s3api = [('use', S3API_USES[name])]
            s3api.extend(sorted(self.s3api_options.items()))
            sections.append(('filter:s3api', s3api))
            if self.auth == KEYSTONE:
                sections.extend(self.keystone.filter_sections())
            else:
                users = [('user_%s_%s' % (account, user),
                          ('%s %s' % (password, groups)).strip())
                         for account, user, password, groups in USERS]
                sections.append(('filter:tempauth', [
                    ('use', 'egg:swift#tempauth')] + users))
        sections.extend([
            ('filter:copy', [('use', 'egg:swift#copy')]),
            ('filter:slo', [('use', 'egg:swift#slo'),
                            ('max_manifest_segments',
                             self.max_upload_part_num),
                            # SLO serves segments under 1 MiB at 1/s after
                            # the 10th; tests read back thousands of tiny
                            # parts, so no segment is "small" here
                            ('rate_limit_under_size', '0')]),
            ('filter:dlo', [('use', 'egg:swift#dlo')]),
            ('filter:versioned_writes', [
                ('use', 'egg:swift#versioned_writes'),
                ('allow_versioned_writes', 'true'),
                ('allow_object_versioning', 'true')]),
            ('filter:symlink', [('use', 'egg:swift#symlink')]),
        ])
        sections.extend(self.cache_and_encryption_sections())
        return sections

    def proxy_conf(self, name):
        return render(self.proxy_sections(name))

    def backend_conf(self, name):
        """Config of a backend server (a name of :attr:`backend_servers`
        or of :data:`BACKEND_KINDS`)."""
        if name not in BACKEND_KINDS and name not in self.backend_servers:
            raise ValueError('unknown backend server %r' % (name,))
        kind = name.split('-', 1)[0]
        default = self._default_section(self.port(name), name + '-server')
        default[1].extend([('devices', self.data_dir),
                           ('mount_check', 'false'),
                           ('disable_fallocate', 'true')])
        app = [('use', 'egg:swift#' + kind)]
        if kind == 'object' and self.commit_delay:
            app = [('paste.app_factory', SLOW_OBJECT_SERVER),
                   ('commit_delay', '%g' % self.commit_delay)]
        return render([
            default,
            ('pipeline:main',
             [('pipeline', 'healthcheck %s-server' % kind)]),
            ('app:%s-server' % kind, app),
            ('filter:healthcheck', [('use', 'egg:swift#healthcheck')]),
        ])

    def internal_client_conf(self):
        # with encryption, the reaper's and audit's internal client needs
        # it too: they read manifests, which are stored encrypted
        sections = [
            ('DEFAULT', [('swift_dir', self.state_dir),
                         ('user', self.user),
                         ('log_name', 'internal-client')]),
            ('pipeline:main', [('pipeline', ' '.join(
                self.pipeline(INTERNAL_CLIENT_PIPELINE)))]),
            ('app:proxy-server', [('use', 'egg:swift#proxy'),
                                  ('account_autocreate', 'true')]),
            ('filter:catch_errors', [('use', 'egg:swift#catch_errors')]),
            ('filter:proxy-logging', [('use', 'egg:swift#proxy_logging')]),
        ]
        sections.extend(self.cache_and_encryption_sections())
        return render(sections)

    def cache_and_encryption_sections(self):
        """``cache`` (if memcached runs) and the encryption filters (if
        :attr:`encryption`), as a proxy and the internal client have
        them."""
        sections = []
        if self.memcache_servers is not None:
            sections.append(('filter:cache', [
                ('use', 'egg:swift#memcache'),
                ('memcache_servers', self.memcache_servers)]))
        return sections + self.encryption_sections()

    def encryption_sections(self):
        if not self.encryption:
            return []
        return [
            ('filter:keymaster', [
                ('use', 'egg:swift#keymaster'),
                ('encryption_root_secret', self.encryption_root_secret)]),
            ('filter:encryption', [('use', 'egg:swift#encryption')]),
        ]

    def ring_devices(self, kind):
        """Device dicts of a ring: one zone per device, all on 127.0.0.1;
        on the port of the device's own object server if it has one."""
        def port(device):
            if kind == 'object' and self.object_servers_per_device:
                return self.port('object-' + device)
            return self.port(kind)
        return [{'id': i, 'region': 1, 'zone': i + 1, 'weight': 100.0,
                 'ip': '127.0.0.1', 'port': port(device),
                 'replication_ip': '127.0.0.1',
                 'replication_port': port(device),
                 'device': device, 'meta': ''}
                for i, device in enumerate(self.devices)]

    # --- writing ----------------------------------------------------------

    def build_ring(self, kind):
        """Build and save ``<kind>.ring.gz`` and ``<kind>.builder``.

        The seed is fixed, so the same parameters give the same ring and
        data written before a restart stays where the ring looks for it.
        """
        from swift.common.ring import RingBuilder
        builder = RingBuilder(PART_POWER, self.replicas, 0)
        for dev in self.ring_devices(kind):
            builder.add_dev(dev)
        builder.rebalance(seed=1)
        builder.validate()
        builder.save(self.path('%s.builder' % kind))
        builder.get_ring().save(self.path('%s.ring.gz' % kind))

    def write(self):
        """Write all files and rings; make the log, run and data dirs.

        The hash path prefix and suffix of an existing swift.conf are kept,
        so objects stored before stay reachable.
        """
        for directory in (self.state_dir, self.path('logs'), self.path('run'),
                          self.data_dir):
            os.makedirs(directory, exist_ok=True)
        for device in self.devices:
            os.makedirs(os.path.join(self.data_dir, device), exist_ok=True)
        link = self.path('data')
        if self.data_dir != link:
            if os.path.islink(link):
                os.unlink(link)
            if not os.path.exists(link):
                os.symlink(self.data_dir, link)
        prefix, suffix = read_hash_path_conf(self.swift_conf_path)
        files = {
            self.swift_conf_path: self.swift_conf(
                prefix or uuid.uuid4().hex, suffix or uuid.uuid4().hex),
            self.internal_client_conf_path: self.internal_client_conf(),
        }
        for name in self.proxies:
            files[self.proxy_conf_path(name)] = self.proxy_conf(name)
        for name in self.backend_servers:
            files[self.backend_conf_path(name)] = self.backend_conf(name)
        for path, text in files.items():
            write_file(path, text)
        if self.tls:
            saio_tls.ensure_certificate(self.cert_path, self.key_path)
        for kind in BACKEND_KINDS:
            self.build_ring(kind)


def write_file(path, text):
    """Write a file atomically (a running server may read it)."""
    tmp = '%s.tmp.%d' % (path, os.getpid())
    with open(tmp, 'w') as fp:
        fp.write(text)
    os.rename(tmp, path)
