"""The reaper's one queue, in a hidden account.

As Swift's object-expirer queues the objects to delete in
``.expiring_objects``, two kinds of task wait here for the reaper
(:mod:`swift3_multipart.reaper`)::

    .s3api_mpu_expiring/<container>/<due time>-<account>/<bucket>/<upload id>

* an **abort** task: CreateMultipartUpload queues each upload that a
  lifecycle rule or the operator's policy will abort (see
  :mod:`swift3_multipart.lifecycle`), due at its abort date (a midnight
  UTC);
* a **free** task: whoever saw an upload end queues it ``gc_delay``
  seconds on; the reaper then frees what no manifest names (see
  :mod:`swift3_multipart.protocol`, rule 2).

``<due time>`` is in 10-digit epoch seconds. The container is that time
rounded down to the hour, minus a hash of the task name modulo
:data:`CONTAINERS_PER_DAY` seconds, so that one hour's tasks spread over up
to 100 containers, whose names (10 digits too) list in time order and come
before their tasks are due: the reaper lists the containers up to now and
never scans the user accounts. Containers are created on demand. The task's
body is JSON: the key (which can be too long for an object name), the
operator's default and maximum days when the upload was created, and
``free`` for a free task.

Nothing here talks to Swift.
"""

import hashlib
import json

from swift.common.constraints import AUTO_CREATE_ACCOUNT_PREFIX

TASK_ACCOUNT = AUTO_CREATE_ACCOUNT_PREFIX + 's3api_mpu_expiring'
TASK_CONTENT_TYPE = 'application/json'
CONTAINERS_PER_DAY = 100
HOUR = 3600
# a container the reaper keeps so that the task account exists (its name
# is not a time: never due, never deleted)
ANCHOR_CONTAINER = 'reaper'


def hash_mod(name, divisor):
    """A stable number in 0..divisor-1 for a task name."""
    digest = hashlib.md5(name.encode('utf8'), usedforsecurity=False)
    return int(digest.hexdigest(), 16) % divisor


def task_name(epoch, account, bucket, upload_id):
    return '%010d-%s/%s/%s' % (epoch, account, bucket, upload_id)


def task_container(name, epoch):
    """The task container of the task ``name`` due at ``epoch`` (for an
    abort task, due at a midnight, what earlier builds made too)."""
    return '%010d' % (epoch - epoch % HOUR -
                      hash_mod(name, CONTAINERS_PER_DAY))


def task_body(key, default_days=0, max_days=0, free=False):
    body = {'key': key, 'default_days': default_days, 'max_days': max_days}
    if free:
        body['free'] = True
    return json.dumps(body).encode('ascii')


def parse_task(name, body):
    """
    :returns: dict with epoch, account, bucket, upload_id, key,
        default_days, max_days and free.
    :raises ValueError: not a task we wrote.
    """
    epoch, _, path = name.partition('-')
    account, bucket, upload_id = path.split('/')
    task = json.loads(body)
    if not (epoch.isdigit() and account and bucket and upload_id and
            isinstance(task.get('key'), str)):
        raise ValueError('not a task: %r' % name)
    return {'epoch': int(epoch), 'account': account, 'bucket': bucket,
            'upload_id': upload_id, 'key': task['key'],
            'default_days': int(task.get('default_days') or 0),
            'max_days': int(task.get('max_days') or 0),
            'free': bool(task.get('free'))}
