// Package celerypane is the Celery pane: workers, queues, tasks by name and
// recent failures, read from the broker; zoomed, a list whose queue,
// running task or failure the Celery keys act on.
package celerypane
