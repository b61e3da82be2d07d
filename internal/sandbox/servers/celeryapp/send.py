"""Sends tasks through Celery's own API: send.py TASK COUNT ARGS_JSON [KWARGS_JSON].
Prints one task id a line."""
import json
import sys

from originapp import app

name, count, args = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
kwargs = json.loads(sys.argv[4]) if len(sys.argv) > 4 else {}
for _ in range(count):
    print(app.send_task(name, args=args, kwargs=kwargs).id)
