"""``bin/saio`` (``python -m test.saio``): start, stop and inspect a test SAIO.

Usage::

    bin/saio start [--port 18080] [--replicas 1]
               [--s3api-option KEY=VALUE ...]
               [--no-stock | --proxies ours,stock[,raw]]
               [--tls | --no-tls] [--commit-delay S]
               [--encryption | --no-encryption]
               [--auth tempauth|keystone]
               [--defaults]
    bin/saio stop | status | env | wipe
    bin/saio restart-proxy ours|stock|raw

Every subcommand takes ``--state-dir`` (default ``$SWIFT3_MULTIPART_SAIO_DIR``
or ``~/.swift3-multipart-saio``). ``start`` saves its settings in the state
directory; later commands (and a ``start`` without options) reuse them,
except for what a ``start`` gives again (``--defaults`` forgets them all).
``eval "$(bin/saio env)"`` sets up the AWS CLI and SDKs.
"""

import argparse
import os
import shlex
import sys

from test.saio import Saio, SaioError, keystone_service
from test.saio.config import AUTH_MODES, PROXY_KINDS, parse_option

STATE_DIR_ENV = 'SWIFT3_MULTIPART_SAIO_DIR'
DEFAULT_STATE_DIR = '~/.swift3-multipart-saio'


def default_state_dir():
    return os.path.expanduser(
        os.environ.get(STATE_DIR_ENV) or DEFAULT_STATE_DIR)


def _option(text):
    try:
        return parse_option(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err))


def _proxies(text):
    names = [n.strip() for n in text.split(',') if n.strip()]
    if not names or set(names) - set(PROXY_KINDS):
        raise argparse.ArgumentTypeError(
            'expected a comma-separated list of %s' % ', '.join(PROXY_KINDS))
    return names


def make_parser():
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        '--state-dir', default=argparse.SUPPRESS,
        help='state directory (default: $%s or %s)' % (
            STATE_DIR_ENV, DEFAULT_STATE_DIR))
    parser = argparse.ArgumentParser(
        prog='bin/saio', parents=[common],
        description='A Swift-All-In-One with the swift3_multipart s3api '
                    'filter ("ours", base port) and the stock one ("stock", '
                    'base port + 1) over the same data.')
    sub = parser.add_subparsers(dest='command', metavar='COMMAND')
    sub.required = True
    start = sub.add_parser('start', parents=[common],
                           help='write configs and start all servers')
    start.add_argument('--port', type=int, default=None,
                       help='base port, the "ours" proxy (default 18080)')
    start.add_argument('--replicas', type=int, default=None,
                       help='replicas of the rings (default 1)')
    start.add_argument(
        '--s3api-option', type=_option, action='append', default=None,
        metavar='KEY=VALUE', dest='s3api_options',
        help='extra [filter:s3api] option of both proxies (repeatable)')
    which = start.add_mutually_exclusive_group()
    which.add_argument('--no-stock', action='store_const', dest='proxies',
                       const=['ours'], help='do not run the stock proxy')
    which.add_argument('--proxies', type=_proxies, dest='proxies',
                       help='proxies to run: ours,stock (default), one of '
                            'them, and raw (no s3api, no auth: for '
                            'benchmarks, base port + 2)')
    start.add_argument('--tls', action=argparse.BooleanOptionalAction,
                       default=None,
                       help='serve the proxies over https with a '
                            'self-signed certificate (env exports it as '
                            'AWS_CA_BUNDLE)')
    start.add_argument('--commit-delay', type=float, default=None,
                       metavar='SECONDS',
                       help='each object PUT waits this long between its '
                            'body and its commit (a slow disk; 0: none)')
    start.add_argument('--encryption', action=argparse.BooleanOptionalAction,
                       default=None,
                       help="Swift's encryption middleware (keymaster, "
                            "encryption) in the proxies' pipelines")
    start.add_argument('--auth', choices=AUTH_MODES, default=None,
                       help='tempauth (default), or keystone: a real '
                            'Keystone (installed into .venv-keystone on '
                            'first use), s3token, authtoken, keystoneauth')
    start.add_argument('--defaults', action='store_true',
                       help='ignore the settings of the last start')
    sub.add_parser('stop', parents=[common], help='stop all servers')
    sub.add_parser('status', parents=[common], help='show the servers')
    sub.add_parser('env', parents=[common],
                   help='print shell export lines for AWS clients')
    sub.add_parser('wipe', parents=[common],
                   help='remove all stored data (when stopped)')
    restart = sub.add_parser('restart-proxy', parents=[common],
                             help='restart one proxy')
    restart.add_argument('proxy', choices=PROXY_KINDS)
    return parser


def export_lines(env):
    lines = [
        ('AWS_ACCESS_KEY_ID', env['access_key']),
        ('AWS_SECRET_ACCESS_KEY', env['secret_key']),
        ('AWS_DEFAULT_REGION', env['region']),
        ('AWS_ENDPOINT_URL', env['endpoint'] or env['stock_endpoint']),
        ('SAIO_STOCK_ENDPOINT_URL', env['stock_endpoint'] or ''),
        ('SAIO_STATE_DIR', env['state_dir']),
    ]
    if env.get('ca_file'):
        lines.append(('AWS_CA_BUNDLE', env['ca_file']))
    return ['export %s=%s' % (key, shlex.quote(value))
            for key, value in lines]


def print_start(saio, out):
    env = saio.env()
    print('SAIO started in %s' % env['state_dir'], file=out)
    print('  endpoint (ours):  %s' % (env['endpoint'] or '-'), file=out)
    print('  endpoint (stock): %s' % (env['stock_endpoint'] or '-'),
          file=out)
    if env['raw_endpoint']:
        print('  endpoint (raw):   %s/v1/AUTH_test (Swift, no auth)'
              % env['raw_endpoint'], file=out)
    print('  region:           %s' % env['region'], file=out)
    print('  memcached:        %s' % (
        env['memcache'] or 'none on PATH, no cache filter'), file=out)
    print('  replicas:         %d' % env['replicas'], file=out)
    if env.get('commit_delay'):
        print('  commit delay:     %g s per object PUT' % env['commit_delay'],
              file=out)
    if env.get('encryption'):
        print('  encryption:       on (keymaster, encryption)', file=out)
    print('  s3api options:    %s' % ' '.join(
        '%s=%s' % kv for kv in sorted(env['s3api_options'].items())),
        file=out)
    print('  logs:             %s' % env['log_dir'], file=out)
    if env['auth'] == 'keystone':
        print('  keystone:         %s (admin / %s)' % (
            env['keystone_url'], keystone_service.ADMIN_PASSWORD), file=out)
        print('  users (EC2 access key / secret key / roles / account):',
              file=out)
    else:
        print('  users (access key / secret key / groups / account):',
              file=out)
    for access in sorted(env['users']):
        print('    %s / %s / %s / %s' % (
            access, env['users'][access],
            ' '.join(env['user_groups'][access]) or '-',
            env['accounts'][access]), file=out)
    for line in export_lines(env):
        print(line, file=out)


def print_status(saio, out):
    status = saio.status()
    for name, info in status.items():
        print('%-12s %-8s pid %-8s port %-6s %s' % (
            name, 'running' if info['running'] else 'stopped',
            info['pid'] or '-', info['port'] or '-', info['log']), file=out)
    env = saio.env()
    print('memcached: %s' % (env['memcache'] or 'not used'), file=out)
    return 0 if all(i['running'] for i in status.values()) else 3


def main(argv=None, out=None):
    out = out or sys.stdout
    args = make_parser().parse_args(argv)
    state_dir = getattr(args, 'state_dir', None) or default_state_dir()
    try:
        if args.command == 'start':
            options = dict(args.s3api_options) \
                if args.s3api_options is not None else None
            kwargs = dict(base_port=args.port, replicas=args.replicas,
                          s3api_options=options, proxies=args.proxies,
                          tls=args.tls, commit_delay=args.commit_delay,
                          encryption=args.encryption, auth=args.auth)
            if args.defaults:
                saio = Saio(state_dir, **{k: v for k, v in kwargs.items()
                                          if v is not None})
            else:
                saio = Saio.load(state_dir, **kwargs)
            saio.start()
            print_start(saio, out)
            return 0
        saio = Saio.load(state_dir)
        if args.command == 'stop':
            stopped = saio.stop()
            print('stopped: %s' % (', '.join(stopped) or 'nothing running'),
                  file=out)
        elif args.command == 'status':
            return print_status(saio, out)
        elif args.command == 'env':
            for line in export_lines(saio.env()):
                print(line, file=out)
        elif args.command == 'wipe':
            saio.wipe()
            print('wiped %s' % saio.config.data_dir, file=out)
        elif args.command == 'restart-proxy':
            saio.restart_proxy(args.proxy)
            print('restarted proxy %s' % args.proxy, file=out)
        return 0
    except (SaioError, ValueError, IOError) as err:
        print('bin/saio: error: %s' % err, file=sys.stderr)
        return 1


if __name__ == '__main__':
    sys.exit(main())
