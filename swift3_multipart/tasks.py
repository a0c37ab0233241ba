"""The queue of multipart uploads to abort, in a hidden account.

As Swift's object-expirer queues the objects to delete in
``.expiring_objects``, CreateMultipartUpload queues each upload that a
lifecycle rule or the operator's policy will abort (see
:mod:`swift3_multipart.lifecycle`)::

    .s3api_mpu_expiring/<container>/<abort time>-<account>/<bucket>/<upload id>

``<abort time>`` is the abort date (a midnight UTC) in 10-digit epoch
seconds. The container is that time minus a hash of the task name modulo
:data:`CONTAINERS_PER_DAY` seconds, so that one day's tasks spread over up
to 100 containers, whose names (10 digits too) list in time order: the
reaper lists the containers up to now and never scans the user accounts.
Containers are created on demand. The task's body is JSON: the key (which
can be too long for an object name) and the operator's default and maximum
days when the upload was created.

Nothing here talks to Swift.
"""

import hashlib
import json

from swift.common.constraints import AUTO_CREATE_ACCOUNT_PREFIX

TASK_ACCOUNT = AUTO_CREATE_ACCOUNT_PREFIX + 's3api_mpu_expiring'
TASK_CONTENT_TYPE = 'application/json'
CONTAINERS_PER_DAY = 100
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
    """The task container of the task ``name`` due at ``epoch``."""
    return '%010d' % (epoch - hash_mod(name, CONTAINERS_PER_DAY))


def task_body(key, default_days, max_days):
    return json.dumps({'key': key, 'default_days': default_days,
                       'max_days': max_days}).encode('ascii')


def parse_task(name, body):
    """
    :returns: dict with epoch, account, bucket, upload_id, key,
        default_days and max_days.
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
            'max_days': int(task.get('max_days') or 0)}
