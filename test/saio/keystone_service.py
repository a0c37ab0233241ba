"""A real Keystone for the SAIO's ``auth = keystone`` mode.

Keystone runs from a virtualenv of its own (:func:`ensure_installed`:
``$SWIFT3_MULTIPART_KEYSTONE_VENV``, default ``.venv-keystone`` in the
clone; a service beside Swift, as in a cluster), on sqlite and fernet keys
in ``<state dir>/keystone``, on 127.0.0.1 at base port + 5. The first start
runs ``keystone-manage db_sync``, ``fernet_setup``, ``credential_setup``
and ``bootstrap``; every start then makes sure (through Keystone's v3 API,
as an operator would) that the SAIO's projects, users, roles and EC2
credentials exist:

* project ``service``, user ``swift`` (roles ``admin`` and ``service``):
  the proxies' ``authtoken`` and ``s3token`` authenticate as it;
* the S3 users of :data:`USERS`, one EC2 credential each, whose access key
  is ``<project>-<user>`` (:func:`access_key`) and whose secret is the
  password. (Not tempauth's ``<account>:<user>``: s3token reads an access
  key ``a:b`` as access key ``a`` forced into project ``b``.) s3api names
  them ``<project>:<user>`` in Owner and Initiator, as with tempauth.

The Swift accounts are ``AUTH_<project id>``; the ids are saved in
``<state dir>/keystone/ids.json`` (see :meth:`Keystone.ids`).
"""

import grp
import json
import os
import subprocess
import sys
from urllib.error import HTTPError
from urllib.request import Request, urlopen

from test.saio import process
from test.saio.process import SaioError

KEYSTONE_REQUIREMENT = 'keystone>=26,<31'
VENV_ENV = 'SWIFT3_MULTIPART_KEYSTONE_VENV'
ADMIN_PASSWORD = 'keystone-admin'
SERVICE_PROJECT = 'service'
SERVICE_USER = 'swift'
SERVICE_PASSWORD = 'swift-service'
#: keystoneauth's operator_roles: a user with one of them in a project owns
#: its account
OPERATOR_ROLE = 'swiftoperator'
OPERATOR_ROLES = ('admin', OPERATOR_ROLE)
#: (project, user, password, roles); S3 access key "project:user", secret
#: the password. tester2 is a member of project test without an operator
#: role (as tempauth's tester2 is not .admin of AUTH_test).
USERS = (
    ('test', 'tester', 'testing', (OPERATOR_ROLE,)),
    ('test', 'tester2', 'testing2', ('member',)),
    ('test2', 'tester3', 'testing3', (OPERATOR_ROLE,)),
)
WSGI_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           'keystone_wsgi.py')


def access_key(project, user):
    """The EC2 access key of a user."""
    return '%s-%s' % (project, user)


def venv_dir():
    return os.environ.get(VENV_ENV) or os.path.join(
        process.CLONE_ROOT, '.venv-keystone')


def ensure_installed(log_path):
    """Keystone's virtualenv, made and installed once.

    :returns: the path of its Python
    :raises SaioError: with the tail of the pip log, if it cannot be made
    """
    venv = venv_dir()
    python = os.path.join(venv, 'bin', 'python')
    stamp = os.path.join(venv, '.installed')
    if os.path.exists(stamp):
        return python
    process.note(log_path, 'installing %s into %s' % (
        KEYSTONE_REQUIREMENT, venv))
    with open(log_path, 'ab') as log:
        for argv in ([sys.executable, '-m', 'venv', '--clear', venv],
                     [python, '-m', 'pip', 'install', '-q',
                      KEYSTONE_REQUIREMENT]):
            if subprocess.call(argv, stdin=subprocess.DEVNULL, stdout=log,
                               stderr=log):
                raise SaioError('could not install Keystone (%s); %s ends '
                                'with:\n%s' % (' '.join(argv), log_path,
                                               process.log_tail(log_path)))
    with open(stamp, 'w'):
        pass
    return python


class Keystone(object):
    """The Keystone of one SAIO (see the module's docstring)."""

    def __init__(self, config):
        self.config = config
        self.dir = config.path('keystone')
        self.port = config.port('keystone')
        self.url = 'http://127.0.0.1:%d/v3' % self.port
        self.log_path = config.log_path('keystone')

    @property
    def conf_path(self):
        return os.path.join(self.dir, 'keystone.conf')

    def conf(self):
        return '\n'.join([
            '[DEFAULT]',
            'use_stderr = true',
            '[database]',
            'connection = sqlite:///%s' % os.path.join(self.dir,
                                                       'keystone.db'),
            '[token]',
            'provider = fernet',
            '[fernet_tokens]',
            'key_repository = %s' % os.path.join(self.dir, 'fernet-keys'),
            '[fernet_receipts]',
            'key_repository = %s' % os.path.join(self.dir, 'fernet-keys'),
            '[credential]',
            'key_repository = %s' % os.path.join(self.dir,
                                                 'credential-keys'),
            '',
        ])

    # --- the proxies' filters ---------------------------------------------

    def service_auth(self):
        """keystoneauth1 password options of the ``swift`` service user."""
        return [('auth_type', 'password'),
                ('auth_url', self.url),
                ('username', SERVICE_USER),
                ('password', SERVICE_PASSWORD),
                ('project_name', SERVICE_PROJECT),
                ('user_domain_id', 'default'),
                ('project_domain_id', 'default')]

    def filter_sections(self):
        """``authtoken``, ``s3token`` and ``keystoneauth`` of a proxy.
        s3token caches secrets only in memcached (without, it would log an
        error per request)."""
        cache = '60' if self.config.memcache_servers else '0'
        return [
            ('filter:authtoken', [
                ('paste.filter_factory',
                 'keystonemiddleware.auth_token:filter_factory'),
                ('www_authenticate_uri', self.url),
                # s3api's docs: let s3token and keystoneauth decide
                ('delay_auth_decision', 'true'),
                ('include_service_catalog', 'false')] + self.service_auth()),
            ('filter:s3token', [
                ('use', 'egg:swift#s3token'),
                ('auth_uri', self.url),
                ('http_timeout', '10.0'),
                ('secret_cache_duration', cache)] + self.service_auth()),
            ('filter:keystoneauth', [
                ('use', 'egg:swift#keystoneauth'),
                ('operator_roles', ', '.join(OPERATOR_ROLES)),
                ('reseller_prefix', 'AUTH_')]),
        ]

    # --- start --------------------------------------------------------------

    def prepare(self):
        """Install (once), write the config, set up the database and keys
        (once). :returns: the argv that serves it."""
        python = ensure_installed(self.log_path)
        os.makedirs(self.dir, exist_ok=True)
        with open(self.conf_path, 'w') as f:
            f.write(self.conf())
        if not os.path.exists(os.path.join(self.dir, 'keystone.db')):
            manage = [os.path.join(os.path.dirname(python),
                                   'keystone-manage'),
                      '--config-file', self.conf_path]
            owner = ['--keystone-user', self.config.user,
                     '--keystone-group', grp.getgrgid(os.getgid()).gr_name]
            for args in (['db_sync'], ['fernet_setup'] + owner,
                         ['credential_setup'] + owner,
                         ['bootstrap', '--bootstrap-password', ADMIN_PASSWORD,
                          '--bootstrap-public-url', self.url,
                          '--bootstrap-internal-url', self.url,
                          '--bootstrap-admin-url', self.url,
                          '--bootstrap-region-id', 'RegionOne']):
                self._manage(manage + args)
        return [python, WSGI_SCRIPT, str(self.port)]

    def env(self):
        return dict(os.environ, OS_KEYSTONE_CONFIG_DIR=self.dir,
                    PYTHONUNBUFFERED='1')

    def _manage(self, argv):
        with open(self.log_path, 'ab') as log:
            if subprocess.call(argv, stdin=subprocess.DEVNULL, stdout=log,
                               stderr=log, env=self.env()):
                raise SaioError('%s failed; %s ends with:\n%s' % (
                    ' '.join(argv[:1] + argv[3:4]), self.log_path,
                    process.log_tail(self.log_path)))

    # --- the v3 API ---------------------------------------------------------

    def _call(self, method, path, body=None, token=None, ok=(200, 201)):
        headers = {'Content-Type': 'application/json'}
        if token:
            headers['X-Auth-Token'] = token
        req = Request(self.url + path, method=method, headers=headers,
                      data=None if body is None else
                      json.dumps(body).encode('utf-8'))
        try:
            with urlopen(req, timeout=30) as resp:
                status, data = resp.status, resp.read()
                subject = resp.headers.get('X-Subject-Token')
        except HTTPError as err:
            status, data, subject = err.code, err.read(), None
        if status not in ok:
            raise SaioError('Keystone %s %s: %d %s' % (
                method, path, status, data[:500]))
        return (json.loads(data) if data else {}), subject

    def token(self, user, password, project):
        """A project-scoped token of a user (for Swift API requests)."""
        _, token = self._call('POST', '/auth/tokens', {'auth': {
            'identity': {'methods': ['password'], 'password': {'user': {
                'name': user, 'domain': {'id': 'default'},
                'password': password}}},
            'scope': {'project': {'name': project,
                                  'domain': {'id': 'default'}}}}})
        return token

    def _ensure(self, token, kind, name, body):
        """The id of the named project, user or role, made if missing."""
        found, _ = self._call('GET', '/%ss?name=%s' % (kind, name),
                              token=token)
        if found[kind + 's']:
            return found[kind + 's'][0]['id']
        made, _ = self._call('POST', '/%ss' % kind, {kind: dict(
            body, name=name)}, token=token)
        return made[kind]['id']

    def provision(self):
        """Make sure that the projects, users, roles and EC2 credentials
        exist; save and :returns: :meth:`ids`."""
        admin = self.token('admin', ADMIN_PASSWORD, 'admin')
        domain = {'domain_id': 'default'}
        roles = {}
        for role in ('admin', 'member', 'service', OPERATOR_ROLE):
            roles[role] = self._ensure(admin, 'role', role, {})
        ids = {'projects': {}, 'users': {}}
        wanted = [(SERVICE_PROJECT, SERVICE_USER, SERVICE_PASSWORD,
                   ('admin', 'service'))] + list(USERS)
        for project, user, password, user_roles in wanted:
            project_id = ids['projects'].get(project) or self._ensure(
                admin, 'project', project, domain)
            user_id = self._ensure(admin, 'user', user, dict(
                domain, password=password, default_project_id=project_id))
            ids['projects'][project] = project_id
            ids['users'][user] = user_id
            for role in user_roles:
                self._call('PUT', '/projects/%s/users/%s/roles/%s' % (
                    project_id, user_id, roles[role]), token=admin,
                    ok=(204,))
            if project != SERVICE_PROJECT:
                self._ensure_ec2(admin, project, user, password, project_id,
                                 user_id)
        with open(os.path.join(self.dir, 'ids.json'), 'w') as f:
            json.dump(ids, f, indent=2, sort_keys=True)
        return ids

    def _ensure_ec2(self, token, project, user, password, project_id,
                    user_id):
        access = access_key(project, user)
        found, _ = self._call('GET', '/credentials?user_id=%s&type=ec2' % (
            user_id), token=token)
        for credential in found['credentials']:
            if json.loads(credential['blob']).get('access') == access:
                return
        self._call('POST', '/credentials', {'credential': {
            'type': 'ec2', 'user_id': user_id, 'project_id': project_id,
            'blob': json.dumps({'access': access, 'secret': password})}},
            token=token)

    def ids(self):
        """{'projects': {name: id}, 'users': {name: id}} of the last
        :meth:`provision` (empty before)."""
        try:
            with open(os.path.join(self.dir, 'ids.json')) as f:
                return json.load(f)
        except (IOError, OSError, ValueError):
            return {'projects': {}, 'users': {}}
