"""Origin's Celery layout for opsdeck's tests and demo: three queues on a
"tasks" exchange, results in Redis with result_extended, tasks that
succeed, fail, retry, run long, and one routed to each queue."""
import os
import time

from celery import Celery
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
