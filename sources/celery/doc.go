// Package celery reads a Celery deployment from its Redis broker, speaking
// Celery's own protocol from Go: the event stream (kombu's fanout over
// PUBLISH on /{db}.celeryev/*), broadcast control commands over the pidbox
// (inspect active, stats), the queues' lists and the unacked hash, and the
// result backend's task records. No exporter, no Flower.
package celery
