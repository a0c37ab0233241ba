"""Pure helpers of the multipart benchmark: statistics, /proc readings,
Swift log parsing and the report table. No client, no SAIO.
"""

import json
import math
import re
import statistics
import time

MIB = 1024 * 1024
GIB = 1024 * MIB

# --- statistics -----------------------------------------------------------


def summarize(samples):
    """{'median', 'min', 'max', 'n', 'samples'} of a list of numbers."""
    samples = list(samples)
    if not samples:
        raise ValueError('no samples')
    return {'median': statistics.median(samples), 'min': min(samples),
            'max': max(samples), 'n': len(samples), 'samples': samples}


def ratio(numerator, denominator):
    """numerator / denominator of two summaries' medians, or None."""
    if numerator is None or denominator is None:
        return None
    if not denominator['median']:
        return None
    return numerator['median'] / denominator['median']


def overlap(one, other):
    """True if the min-max ranges of two summaries overlap."""
    return one['min'] <= other['max'] and other['min'] <= one['max']


# --- /proc ----------------------------------------------------------------


def cpu_seconds(pid, clock_ticks=100):
    """utime + stime of a process, in seconds.

    :param clock_ticks: ``os.sysconf('SC_CLK_TCK')``
    """
    with open('/proc/%d/stat' % pid) as fp:
        data = fp.read()
    # the command name is in parentheses and may contain anything
    fields = data[data.rindex(')') + 2:].split()
    return (int(fields[11]) + int(fields[12])) / float(clock_ticks)


def memory_kib(pid):
    """{'VmRSS': kib, 'VmHWM': kib} of a process."""
    found = {}
    with open('/proc/%d/status' % pid) as fp:
        for line in fp:
            key, _, value = line.partition(':')
            if key in ('VmRSS', 'VmHWM'):
                found[key] = int(value.split()[0])
    return found


def reset_peak_rss(pid):
    """Make VmHWM start again from the current RSS (Linux >= 4.0)."""
    with open('/proc/%d/clear_refs' % pid, 'w') as fp:
        fp.write('5')


# --- logs -----------------------------------------------------------------

# account/container/object server access lines (swift's log_line format):
# <name>-server: ip - - [date] "METHOD path" status length "referer" "txn"
#   "user agent" time "info" pid policy
BACKEND_LINE = re.compile(
    r'^(?P<server>account|container|object)-server: \S+ \S+ \S+ '
    r'\[[^\]]*\] "(?P<method>[A-Z]+) (?P<path>[^" ]*)" (?P<status>\d+) '
    r'(?P<length>\S+) "(?P<referer>[^"]*)" "(?P<txn>[^"]*)" '
    r'"(?P<agent>[^"]*)" ')
# proxy-logging fields, after the "proxy-<name>:" log name
PROXY_FIELDS = (
    'client_ip', 'remote_addr', 'datetime', 'method', 'path', 'protocol',
    'status', 'referer', 'user_agent', 'auth_token', 'bytes_recvd',
    'bytes_sent', 'client_etag', 'txn', 'headers', 'request_time', 'source',
    'log_info', 'start_time', 'end_time', 'policy_index')


def parse_backend_line(line):
    """dict of a backend server's access log line, or None."""
    match = BACKEND_LINE.match(line)
    if not match:
        return None
    record = match.groupdict()
    record['status'] = int(record['status'])
    record['length'] = 0 if record['length'] == '-' else int(
        record['length'])
    return record


def parse_proxy_line(line):
    """dict of a proxy-logging line, or None.

    ``client`` is True for the line of the client's request (proxy-logging
    leftmost in the pipeline) and False for a subrequest.
    """
    name, sep, rest = line.partition(': ')
    if not sep or not name.startswith('proxy-'):
        return None
    fields = rest.split()
    if len(fields) < len(PROXY_FIELDS) or not fields[4].startswith('/'):
        return None
    record = dict(zip(PROXY_FIELDS, fields))
    record['client'] = record['client_ip'] != '-'
    return record


def backend_summary(records, txn):
    """
    What the backend servers logged for one transaction.

    :param records: parsed backend lines (see :func:`parse_backend_line`)
    :returns: {'requests', 'by_server': {server: n}, 'listings': [record],
        'info_heads': n}: a container server's GET is a listing (the proxy
        HEADs containers for their info), of any container: the bucket's,
        its segments', our index; an account or container server's HEAD
        is the proxy's look-up of its info (none with memcached, until
        the cached info expires: ``recheck_*_existence``)
    """
    mine = [r for r in records if r['txn'] == txn]
    by_server = {}
    for record in mine:
        by_server[record['server']] = by_server.get(record['server'], 0) + 1
    listings = [r for r in mine if r['server'] == 'container' and
                r['method'] == 'GET']
    info_heads = sum(1 for r in mine if r['method'] == 'HEAD' and
                     r['server'] in ('account', 'container'))
    return {'requests': len(mine), 'by_server': by_server,
            'listings': listings, 'info_heads': info_heads}


def listing_query(record):
    """The query string of a backend container GET, from its referer
    (``"GET http://host:port/v1/a/c?query"``; the request line has none).
    """
    _method, _, url = record['referer'].partition(' ')
    return url.partition('?')[2]


def proxy_summary(records, txn):
    """{'client', 'subrequests'}: proxy-logging lines of one transaction."""
    mine = [r for r in records if r['txn'] == txn]
    client = [r for r in mine if r['client']]
    return {'client': len(client), 'subrequests': len(mine) - len(client),
            'sources': sorted({r['source'] for r in mine if not r['client']})}


def count_rows(body):
    """Number of rows of a JSON container listing."""
    return len(json.loads(body))


class LogTail(object):
    """The lines a log file gained since :meth:`mark`."""

    def __init__(self, path):
        self.path = path
        self.offset = 0

    def _size(self):
        try:
            with open(self.path, 'rb') as fp:
                return fp.seek(0, 2)
        except FileNotFoundError:
            return 0

    def mark(self):
        self.offset = self._size()

    def lines(self):
        """Complete lines written since the mark."""
        try:
            with open(self.path, 'rb') as fp:
                fp.seek(self.offset)
                data = fp.read()
        except FileNotFoundError:
            return []
        data = data[:data.rfind(b'\n') + 1]
        return data.decode('utf-8', 'replace').splitlines()


def settled(read, quiet=0.3, timeout=10.0, sleep=time.sleep,
            clock=time.monotonic):
    """
    Call ``read`` until two calls ``quiet`` seconds apart agree (servers
    log a request when they are done with it, a little after the client
    got its answer).

    :returns: the last value read
    """
    deadline = clock() + timeout
    last = read()
    while True:
        sleep(quiet)
        value = read()
        if value == last or clock() >= deadline:
            return value
        last = value


# --- report ---------------------------------------------------------------


def significant(value, digits=3):
    """A number with ``digits`` significant digits, no exponent; whole
    numbers (counts) as they are."""
    if value is None:
        return '-'
    if isinstance(value, int) or float(value).is_integer() and \
            abs(value) >= 10 ** (digits - 1):
        return '%d' % value
    if value == 0:
        return '0'
    magnitude = math.floor(math.log10(abs(value)))
    return '%.*f' % (max(0, digits - 1 - magnitude), value)


def cell(summary):
    """'median (min-max)' of a summary; the median alone if all agree."""
    if summary is None:
        return '-'
    if isinstance(summary, str):
        return summary
    if summary['min'] == summary['max']:
        return significant(summary['median'])
    return '%s (%s-%s)' % (significant(summary['median']),
                           significant(summary['min']),
                           significant(summary['max']))


def met_text(met):
    return {True: 'yes', False: 'NO', None: '-'}.get(met, str(met))


TABLE_COLUMNS = ('measurement', 'raw', 'stock', 'ours', 'ratio', 'target',
                 'met')


def table_rows(rows):
    """Text cells of report rows (dicts with the keys of TABLE_COLUMNS;
    'section' rows are headings)."""
    cells = []
    for row in rows:
        if 'section' in row:
            cells.append(('section', row['section']))
            continue
        ratio_value = row.get('ratio')
        cells.append(('row', (
            row['measurement'], cell(row.get('raw')), cell(row.get('stock')),
            cell(row.get('ours')),
            '-' if ratio_value is None else '%s %s' % (
                significant(ratio_value), row.get('ratio_label', '')),
            row.get('target') or '-', met_text(row.get('met')))))
    return cells


def format_table(rows):
    """A fixed-width text table of report rows."""
    cells = table_rows(rows)
    widths = [len(c) for c in TABLE_COLUMNS]
    for kind, values in cells:
        if kind == 'row':
            widths = [max(w, len(v)) for w, v in zip(widths, values)]

    def line(values):
        return '  '.join(v.ljust(w) for v, w in zip(values, widths)).rstrip()

    out = [line(TABLE_COLUMNS), line(['-' * w for w in widths])]
    for kind, values in cells:
        out.append('== %s' % values if kind == 'section' else line(values))
    return '\n'.join(out)
