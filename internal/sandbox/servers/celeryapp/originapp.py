"""Origin's Celery layout for opsdeck's tests and demo: three queues on a
"tasks" exchange, results in Redis with result_extended, tasks that
succeed, fail, retry, run long, and one routed to each queue."""
import json
import os
import sys
import time
import traceback
import urllib.request

from celery import Celery
from celery.signals import task_failure, task_retry
from kombu import Exchange, Queue

broker = os.environ["CELERY_BROKER_URL"]
app = Celery("originapp", broker=broker, backend=os.environ.get("CELERY_RESULT_BACKEND", broker))
tasks = Exchange("tasks", type="direct")
app.conf.update(
    task_queues=[Queue(q, tasks, routing_key="task." + q) for q in ("default", "high_priority", "low_priority")],
    task_default_queue="default",
    task_default_exchange="tasks",
    task_default_routing_key="task.default",
    task_routes={
        "app.tasks.notify_user": {"queue": "high_priority", "routing_key": "task.high_priority"},
        "app.tasks.cleanup_sessions": {"queue": "low_priority", "routing_key": "task.low_priority"},
    },
    task_track_started=True,
    result_extended=True,
    task_send_sent_event=True,
    worker_hijack_root_logger=False,
)


# Where the worker's failures are logged, as the application's logging
# handler would send them: VictoriaLogs's JSON-lines insert, one line a
# failure with its task id, so that a failure found on the broker leads to
# its lines. Unset: nothing is sent.
logs_url = os.environ.get("OPSDECK_LOGS_URL", "")


def log_line(level, message, task_id, task_name):
    if not logs_url:
        return
    line = {"_msg": message, "severity_text": level, "task_id": task_id, "task_name": task_name,
            "service.name": "origin-worker", "logger": "celery.app.trace"}
    req = urllib.request.Request(logs_url + "/insert/jsonline?_stream_fields=service.name",
                                 data=(json.dumps(line) + "\n").encode(), method="POST",
                                 # not urllib's default form type, whose body the server would parse as a form
                                 headers={"Content-Type": "application/stream+json"})
    try:
        urllib.request.urlopen(req, timeout=2).close()
    except OSError as e:
        print("opsdeck logs: %s" % e, file=sys.stderr)  # a log backend that is down never fails a task


@task_failure.connect
def on_failure(sender=None, task_id=None, exception=None, einfo=None, **_):
    # einfo carries the traceback as text; the exception may be the pool's
    # wrapper of the task's own.
    text = einfo.traceback if einfo is not None else "".join(traceback.format_exception_only(type(exception), exception))
    log_line("ERROR", "Task %s[%s] raised unexpected: %s\n%s" % (sender.name, task_id, exception, text), task_id, sender.name)


@task_retry.connect
def on_retry(sender=None, request=None, reason=None, **_):
    log_line("WARN", "Task %s[%s] retry: %s" % (sender.name, request.id, reason), request.id, sender.name)


@app.task(name="app.tasks.summarize")
def summarize(conversation_id, words=100):
    return {"conversation_id": conversation_id, "words": words}


@app.task(name="app.tasks.reindex_embeddings")
def reindex_embeddings(reason):
    raise ValueError("embedding dimension mismatch: expected 1536, got 768 (" + reason + ")")


@app.task(name="app.tasks.sync_profile", bind=True, max_retries=2)
def sync_profile(self, user_id):
    if self.request.retries < 2:
        raise self.retry(exc=ConnectionError("profile service unavailable"), countdown=0.2)
    return user_id


@app.task(name="app.tasks.export_conversations")
def export_conversations(seconds):
    time.sleep(seconds)
    return seconds


@app.task(name="app.tasks.notify_user")
def notify_user(user_id):
    return user_id


@app.task(name="app.tasks.cleanup_sessions")
def cleanup_sessions(older_than):
    return older_than
