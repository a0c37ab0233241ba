"""An explicit-state checker that runs the shipped protocol
(:mod:`swift3_multipart.protocol`) against a model of Swift.

Each party (several instances of one Complete, an Abort, a re-UploadPart,
a PutObject, a DeleteObject with or without versionId, a reaper pass) runs
the protocol's own functions in a greenlet, with a :class:`ModelBackend`
that hands over to the scheduler before every backend operation; the
operation then happens at once, on the :class:`World`. The checker
explores every order of those operations, of clock ticks and of crashes
(depth first, replaying a prefix of choices; a state already seen, the
world and what every party has seen so far, is not explored again) and
checks every complete run against the properties of issue 21.

The model of Swift keeps what the protocol relies on, and no more:

* time is ticks; a write's X-Timestamp is its start (a tick, and an order
  within the tick), what the protocol's clock calls return;
* the key lives on 1 or 2 object servers; a write is a check (refused if
  any server holds one at least as new: the proxy's 202, the body written
  nowhere) and then one commit per server, each a step of its own (a slow
  disk: ticks may pass in between); a commit keeps the newest, and at one
  timestamp the last to commit; a DELETE leaves a tombstone;
* a read with X-Newest sees the newest commit of any server;
* in a versioned bucket every write is a version (one server), a
  DeleteObject adds a delete marker, ?versionId removes one version;
* the record and the attempts are one copy each; listings do not lag;
* a task is due ``gc_delay`` ticks after it was queued; the reaper's pass
  starts once one is due, and the tasks left run after every party ends.

Nothing here is a copy of the protocol: a change to it is what runs.
"""

import greenlet

from swift.common.utils.timestamp import Timestamp

from swift3_multipart import protocol

UPLOAD_ID = '2.176472000000000' + '0123456789abcdef'
# the parts before any re-upload: name -> (part number, etag)
ATTEMPTS = {'a1': (1, 'e1'), 'a2': (2, 'e2')}
REUPLOAD = ('a1b', 1, 'e1b')     # newer than a1
INVALID_PART = 'InvalidPart'
# the steps before which a tick matters (see Run._time_matters): a start,
# a queueing, and the Complete's last read (the checks of rule 5 follow)
TIMED = ('start', 'queue', 'delete record', 'read listing',
         'read key+listing', 'read record')
NOT_REACHED = 'not reached'


class InvalidPart(Exception):
    pass


class Manifest(tuple):
    """('M', S3 ETag, names)."""

    @property
    def names(self):
        return self[2]


def manifest(etag, names):
    return Manifest(('M', etag, tuple(names)))


class World(object):
    """What Swift stores, and the clock."""

    def __init__(self, replicas, versioned, gc_delay):
        self.t = 0
        # orders X-Timestamps taken in one tick
        self.seq = 0
        self.record = True
        self.attempts = dict(ATTEMPTS)
        # per object server: {Timestamp: content} (unversioned: the newest)
        self.replicas = [{} for _ in range(replicas)]
        self.versioned = versioned
        self.gc_delay = gc_delay
        # due ticks of the queued tasks
        self.tasks = []
        self.ok_answers = 0

    def state(self):
        return (self.t, self.seq, self.record,
                tuple(sorted(self.attempts)),
                tuple(tuple(sorted((ts.internal, c) for ts, c in r.items()))
                      for r in self.replicas),
                tuple(sorted(self.tasks)), self.ok_answers)

    def timestamp(self):
        """A fresh X-Timestamp: this tick, after every one taken before."""
        self.seq += 1
        return Timestamp(self.t + self.seq * 1e-4)

    # --- the key ---------------------------------------------------------

    def newest(self):
        """(Timestamp, content) the newest server holds (X-Newest), or
        None."""
        found = [max(r.items()) for r in self.replicas if r]
        return max(found) if found else None

    def current(self):
        """What a GET of the key reads: (Timestamp, content) or None (never
        written, deleted)."""
        found = self.newest()
        if found is None or found[1] in (('T',), ('DM',)):
            return None
        return found

    def manifests(self):
        """{Timestamp: Manifest} of every stored manifest (after the
        replicas converge: the newest of each; every version)."""
        if self.versioned:
            return {ts: c for ts, c in self.replicas[0].items()
                    if c[0] == 'M'}
        found = self.newest()
        return {found[0]: found[1]} if found and found[1][0] == 'M' else {}

    def refuses(self, ts):
        """An object server holds a write at least as new as ``ts``."""
        if self.versioned:
            return any(ts in r for r in self.replicas)
        return any(r and max(r) >= ts for r in self.replicas)

    def commit(self, server, ts, content):
        replica = self.replicas[server]
        if self.versioned:
            replica[ts] = content
        elif not replica or ts >= max(replica):
            # the newest stays; at one timestamp, the last to commit
            replica.clear()
            replica[ts] = content

    def readable(self, names):
        return all(name in self.attempts for name in names)


class ModelBackend(protocol.Backend):
    """The protocol's backend for one party: a pause before every
    operation, then the operation on the world."""

    def __init__(self, run, party):
        self.run = run
        self.party = party
        self.world = run.world
        self.gc_delay = self.world.gc_delay

    def _step(self, label):
        self.run.pause(self.party, label)

    def _seen(self, what):
        self.party.history.append(what)
        return what

    # clocks: local, no backend operation
    def clock(self):
        return self.world.t

    def now(self):
        return Timestamp(self.world.t)

    def begin(self):
        self.party.started = self.world.t
        return self.world.t, self.party.begun

    def complete_reads(self):
        """The record, the key and the listing: the listing is read with
        the key (one step) unless a party writes attempts, and the record
        and the key in either order where the configuration says the reads
        go at once."""
        steps = [('record',), ('key', 'listing')]
        if self.run.has('upload_part'):
            steps = [('record',), ('key',), ('listing',)]
        if self.run.config.get('parallel_reads') and self.run.choose(2):
            steps[0], steps[1] = steps[1], steps[0]
        found = {}
        for step in steps:
            self._step('read ' + '+'.join(step))
            for what in step:
                found[what] = getattr(self, '_read_' + what)()
                self._seen((what, repr(found[what])))
        return found['record'], found['key'], found['listing']

    def _read_record(self):
        return True if self.world.record else None

    def _read_key(self):
        newest = self.world.newest()
        if newest is None:
            return None
        ts, content = newest
        if content[0] == 'M':
            key = protocol.KeyState(ts, UPLOAD_ID, content[1])
        else:
            key = protocol.KeyState(ts)
        key.content = content
        return key

    def _read_listing(self):
        """{part number: (name, etag)} of the newest attempts."""
        parts = {}
        for name, (number, etag) in sorted(self.world.attempts.items()):
            parts[number] = (name, etag)
        return parts

    def read_record(self):
        self._step('read record')
        return self._seen(('record', self._read_record()))[1]

    def read_key(self):
        self._step('read key')
        key = self._read_key()
        self._seen(('key', repr(key and key.content)))
        return key

    def delete_record(self):
        self._step('delete record')
        self.world.record = False
        self._seen(('record deleted',))

    def put_manifest(self, timestamp, parts):
        return self.run.write(self, timestamp, manifest(
            self.party.request.s3_etag, parts))

    def queue(self):
        if self.run.crashes or self.party.kind != 'complete':
            # (crash-free, a Complete's queue is one step with its record
            # DELETE: a tick in between only makes the task due later)
            self._step('queue')
        self.world.tasks.append(self.world.t + self.gc_delay)
        self._seen(('queued', self.world.t))

    def replaced_upload(self, key):
        return None     # one upload: the Complete replaces no other

    def named(self):
        self._step('read manifests')
        names = set()
        for content in self.world.manifests().values():
            names.update(content.names)
        self._seen(('named', tuple(sorted(names))))
        return names

    def stored(self):
        self._step('list attempts')
        return self._seen(('stored', tuple(sorted(self.world.attempts))))[1]

    def delete(self, names):
        self._step('delete attempts')
        gone = [name for name in names if name in self.world.attempts]
        for name in gone:
            del self.world.attempts[name]
        self.party.freed.extend(gone)
        self._seen(('deleted', tuple(gone)))
        return len(gone)


class ModelComplete(protocol.CompleteRequest):
    """A Complete of the parts ``listed`` [(number, etag)]."""
    upload_id = UPLOAD_ID

    def __init__(self, listed):
        self.listed = listed
        self.s3_etag = '-'.join(etag for _, etag in listed)

    def check(self, record, key, listing):
        names = []
        for number, etag in self.listed:
            if listing.get(number, (None, None))[1] != etag:
                raise InvalidPart()
            names.append(listing[number][0])
        return names, '\n'.join(names).encode('ascii')


class Party(object):
    """One request (or the reaper), run in a greenlet."""

    def __init__(self, name, kind, arg=None):
        self.name = name
        self.kind = kind
        self.arg = arg
        self.history = []
        self.status = 'new'      # new, paused, done, crashed
        self.label = None
        self.answer = NOT_REACHED
        self.started = None
        self.ended = None
        self.begun = None
        self.request = None
        self.freed = []
        # what it wrote: (Timestamp, content)
        self.wrote = None
        # a write of the key that began after some Complete answered 200
        self.after_ok = False
        # what a Complete that found the upload ended answered for
        self.seen_key = None
        # a commit of its write came over gc_delay / 2 after its start
        self.late_commit = False
        self.glet = None

    def state(self):
        """What decides this party's future (not its name: two instances of
        one request in one state are one state)."""
        return (self.kind, repr(self.arg), self.status, self.label,
                tuple(self.history), repr(self.answer), self.started,
                self.begun and self.begun.internal, self.late_commit)


class Run(object):
    """One execution, following ``prefix`` (a list of choices), then the
    first choice at every new branching point."""

    def __init__(self, config, prefix, visited):
        self.config = config
        self.prefix = prefix
        self.pos = 0
        self.trace = []
        self.visited = visited
        self.pruned = False
        self.crashes = config.get('crashes', 0)
        self.world = World(config.get('replicas', 1),
                           config.get('versioned', False),
                           config.get('gc_delay', 2))
        self.max_t = config.get('max_t', self.world.gc_delay + 1)
        self.parties = [Party(name, kind, arg)
                        for name, kind, arg in config['parties']]
        self.log = []
        self.main = None

    def has(self, kind):
        return any(p.kind == kind for p in self.parties)

    # --- choices -----------------------------------------------------------

    def choose(self, n):
        if n == 1:
            return 0
        if self.pos < len(self.prefix):
            choice = self.prefix[self.pos]
            self.pos += 1
        else:
            choice = 0
        self.trace.append((choice, n))
        return choice

    def pause(self, party, label):
        party.status, party.label = 'paused', label
        self.main.switch()

    # --- the world's writes --------------------------------------------

    def write(self, backend, timestamp, content):
        """A PUT (or DELETE) of the key: the check, then a commit per
        object server. :returns: False if refused (202)."""
        world = self.world
        backend._step('write check')
        if world.refuses(timestamp):
            backend._seen(('refused',))
            return False
        backend._seen(('accepted',))
        for server in range(len(world.replicas)):
            backend._step('commit %d' % server)
            world.commit(server, timestamp, content)
            self._committed(backend.party)
        backend.party.wrote = (timestamp, content)
        return True

    def _committed(self, party):
        if self.world.t - party.started > self.world.gc_delay / 2.0:
            party.late_commit = True

    # --- the parties -------------------------------------------------------

    def _body(self, party):
        backend = ModelBackend(self, party)
        self.pause(party, 'start')
        party.started = self.world.t
        party.begun = self.world.timestamp()
        kind = party.kind
        if kind == 'complete':
            party.request = ModelComplete(party.arg)
            try:
                outcome, found = protocol.complete(backend, party.request)
                if isinstance(found, protocol.KeyState):
                    party.seen_key = (found.timestamp, found.content)
            except InvalidPart:
                outcome = INVALID_PART
            party.answer = outcome
            if outcome == protocol.DONE:
                self.world.ok_answers += 1
        elif kind == 'abort':
            party.answer = protocol.abort(backend)
        elif kind == 'upload_part':
            name, number, etag = REUPLOAD
            backend._step('commit attempt')
            self.world.attempts[name] = (number, etag)
            self._committed(party)
            party.answer = protocol.part_written(backend)
        elif kind in ('put', 'delete'):
            party.after_ok = self.world.ok_answers > 0
            old = backend.read_key()
            content = ('P', party.name) if kind == 'put' else (
                ('DM',) if self.world.versioned else ('T',))
            party.answer = self.write(backend, party.begun, content)
            if old is not None and old.upload_id == UPLOAD_ID:
                protocol.replaced(backend)
        elif kind == 'delete_version':
            backend._step('delete version')
            versions = sorted(self.world.manifests())
            if versions:
                gone = versions[self.choose(len(versions))]
                del self.world.replicas[0][gone]
                party.answer = gone
            protocol.replaced(backend)
        elif kind == 'reaper':
            due = [d for d in self.world.tasks if d <= self.world.t]
            for d in due:
                self.world.tasks.remove(d)
            for _ in due:
                protocol.free(backend)
            party.answer = len(due)
        party.ended = self.world.t
        party.status = 'done'

    def _enabled(self, party):
        if party.status in ('done', 'crashed'):
            return False
        if party.kind == 'reaper' and party.label == 'start':
            return any(d <= self.world.t for d in self.world.tasks)
        return True

    def state(self):
        return (self.world.state(), tuple(sorted(p.state()
                                                 for p in self.parties)),
                self.crashes)

    def _time_matters(self, party):
        """A tick before this party's next step can change what happens:
        the step reads the clock (a request's start, a task's due time,
        the checks that follow the Complete's last read) or commits a
        write (a commit held past gc_delay / 2 is what the bound is
        about); every other step commutes with a tick."""
        return party.label in TIMED or party.label.startswith('commit') or (
            party.kind == 'reaper' and party.label == 'start')

    def execute(self):
        self.main = greenlet.getcurrent()
        for party in self.parties:
            party.glet = greenlet.greenlet(
                lambda party=party: self._body(party))
            party.glet.switch()
        while True:
            if self.pos >= len(self.prefix):
                key = self.state()
                if key in self.visited:
                    self.pruned = True
                    return
                self.visited.add(key)
            live = [p for p in self.parties if self._enabled(p)]
            if not any(p.status == 'paused' for p in self.parties):
                break
            options = [('run', p) for p in live]
            if self.world.t < self.max_t and any(
                    self._time_matters(p) for p in self.parties
                    if p.status == 'paused'):
                options.append(('tick', None))
            if self.crashes:
                options.extend(('crash', p) for p in live
                               if p.label != 'start')
            if not options:
                break
            what, party = options[self.choose(len(options))]
            if what == 'tick':
                self.world.t += 1
                self.log.append('t=%d' % self.world.t)
            elif what == 'crash':
                self.crashes -= 1
                party.status = 'crashed'
                self.log.append('%s crashes before %s' % (
                    party.name, party.label))
            else:
                self.log.append('t=%d %s: %s' % (
                    self.world.t, party.name, party.label))
                party.glet.switch()
        self._drain()

    def _drain(self):
        """Every party has ended: the tasks left run, one by one, each
        once due (no one else runs any more)."""
        drainer = Party('reaper-after', 'drain')
        backend = ModelBackend(self, drainer)
        backend._step = lambda label: None
        for _ in sorted(self.world.tasks):
            protocol.free(backend)
        self.world.tasks = []
        self.log.append('later: the tasks left freed %r' % (
            drainer.freed,))


# --- the properties --------------------------------------------------------

def _done(party):
    return party.kind == 'complete' and party.answer == protocol.DONE


def _prompt(run):
    """No write was committed over gc_delay / 2 after its request began:
    what the protocol's bound assumes."""
    return not any(p.late_commit for p in run.parties)


def check(run):
    """:returns: [(property, message)] the run breaks."""
    world = run.world
    broken = []
    stored = world.manifests()
    newest = world.newest()
    for party in run.parties:
        if not _done(party):
            continue
        answered = party.wrote or party.seen_key
        if answered is None:
            continue    # refused (202): a newer write replaced it at once
        ts, content = answered
        if ts in stored:
            ok = world.readable(content.names)
        elif world.versioned:
            ok = any(p.kind == 'delete_version' and p.answer == ts
                     for p in run.parties)
        else:
            ok = newest is not None and newest[0] > ts and not (
                newest[1][0] == 'M' and newest[1][1] == content[1] and
                not world.readable(newest[1].names))
        if not ok:
            broken.append(('P-a', '%s answered 200 for %r at %s, which '
                           'does not read back' % (party.name, content,
                                                   ts.internal)))
    if _prompt(run):
        for ts, content in sorted(stored.items()):
            if not world.readable(content.names):
                broken.append(('P-z', 'the manifest at %s names freed '
                               'parts' % ts.internal))
        if not run.config.get('crashes') and not world.record:
            named = set()
            for content in stored.values():
                named.update(content.names)
            left = set(world.attempts) - named
            if left:
                broken.append(('P-c', 'left after the reaper: %s' %
                               sorted(left)))
    if len(world.replicas) > 1 and newest is not None:
        held = {r[newest[0]] for r in world.replicas if newest[0] in r}
        if len(held) > 1:
            broken.append(('P-d', 'replicas hold %r at one timestamp' %
                           sorted(held)))
    for party in run.parties:
        if party.after_ok and party.wrote:
            above = [ts for ts in stored if ts > party.wrote[0]]
            if above:
                broken.append(('P-f', 'a manifest landed at %s above %s, '
                               'written after a 200' % (
                                   above[0].internal, party.name)))
    return broken


class Result(object):
    def __init__(self):
        self.states = 0
        self.runs = 0
        self.leaves = 0
        #: {property: (message, log)}, the shortest counterexample of each
        self.violations = {}
        self.answers = set()

    def counterexample(self, prop):
        message, log = self.violations[prop]
        return '%s\n  %s' % (message, '\n  '.join(log))


def explore(config):
    """Every run of ``config``; :returns: a :class:`Result`."""
    visited = set()
    result = Result()
    prefix = []
    while True:
        run = Run(config, prefix, visited)
        run.execute()
        result.runs += 1
        if not run.pruned:
            result.leaves += 1
            result.answers.add(tuple(
                (p.name, repr(p.answer)) for p in run.parties
                if p.kind != 'reaper'))
            for prop, message in check(run):
                known = result.violations.get(prop)
                if known is None or len(run.log) < len(known[1]):
                    result.violations[prop] = (message, list(run.log))
        trace = run.trace
        while trace and trace[-1][0] + 1 >= trace[-1][1]:
            trace.pop()
        if not trace:
            break
        choice, _ = trace.pop()
        prefix = [c for c, _ in trace] + [choice + 1]
    result.states = len(visited)
    return result
