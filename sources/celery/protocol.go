package celery

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Bounds on what a broker may hand us: larger is malformed, and skipped.
const (
	maxMessage       = 1 << 20 // bytes of one broker message
	maxEventsInBatch = 1000    // events in one task.multi message
	maxField         = 2000    // bytes kept of a text field (args, an exception)
)

// envelope is kombu's message as the Redis transport carries it: a JSON
// object whose body is base64 (or plain) JSON.
type envelope struct {
	Body            string         `json:"body"`
	ContentEncoding string         `json:"content-encoding"`
	ContentType     string         `json:"content-type"`
	Headers         map[string]any `json:"headers"`
	Properties      envelopeProps  `json:"properties"`
}

type envelopeProps struct {
	BodyEncoding string `json:"body_encoding"`
	DeliveryInfo struct {
		Exchange   string `json:"exchange"`
		RoutingKey string `json:"routing_key"`
	} `json:"delivery_info"`
	DeliveryTag   string `json:"delivery_tag"`
	CorrelationID string `json:"correlation_id"`
}

// openEnvelope reads a broker message and its body.
func openEnvelope(raw []byte) (envelope, []byte, error) {
	var e envelope
	if len(raw) > maxMessage {
		return e, nil, fmt.Errorf("a message of %d bytes (over %d)", len(raw), maxMessage)
	}
	if err := json.Unmarshal(raw, &e); err != nil {
		return e, nil, fmt.Errorf("not a kombu message: %v", err)
	}
	if e.ContentType != "" && e.ContentType != "application/json" {
		return e, nil, fmt.Errorf("content type %q (opsdeck reads JSON)", e.ContentType)
	}
	body := []byte(e.Body)
	if e.Properties.BodyEncoding == "base64" {
		b, err := base64.StdEncoding.DecodeString(e.Body)
		if err != nil {
			return e, nil, fmt.Errorf("body not base64: %v", err)
		}
		body = b
	}
	return e, body, nil
}

// Event is one Celery event, the fields opsdeck reads.
type Event struct {
	Type      string  `json:"type"`
	Hostname  string  `json:"hostname"`
	Timestamp float64 `json:"timestamp"`
	// Task events.
	UUID      string  `json:"uuid"`
	Name      string  `json:"name"`
	Args      string  `json:"args"`
	Kwargs    string  `json:"kwargs"`
	Queue     string  `json:"queue"`
	Runtime   float64 `json:"runtime"`
	Exception string  `json:"exception"`
	Traceback string  `json:"traceback"`
	Retries   int     `json:"retries"`
	// Worker events.
	Freq      float64   `json:"freq"`
	Active    int       `json:"active"`
	Processed int64     `json:"processed"`
	Loadavg   []float64 `json:"loadavg"`
	SwIdent   string    `json:"sw_ident"`
}

// eventEnvelope is the part of an event message opsdeck reads: no
// headers (a map a message would allocate for nothing).
type eventEnvelope struct {
	Body        string `json:"body"`
	ContentType string `json:"content-type"`
	Properties  struct {
		BodyEncoding string `json:"body_encoding"`
	} `json:"properties"`
}

// DecodeEvents reads one event message: a single event, or a batch (the
// task.multi routing key carries a list). Text fields are cut to a bound.
func DecodeEvents(raw []byte) ([]Event, error) {
	if len(raw) > maxMessage {
		return nil, fmt.Errorf("a message of %d bytes (over %d)", len(raw), maxMessage)
	}
	var e eventEnvelope
	if err := json.Unmarshal(raw, &e); err != nil {
		return nil, fmt.Errorf("not a kombu message: %v", err)
	}
	if e.ContentType != "" && e.ContentType != "application/json" {
		return nil, fmt.Errorf("content type %q (opsdeck reads JSON)", e.ContentType)
	}
	body := []byte(e.Body)
	if e.Properties.BodyEncoding == "base64" {
		b, err := base64.StdEncoding.DecodeString(e.Body)
		if err != nil {
			return nil, fmt.Errorf("body not base64: %v", err)
		}
		body = b
	}
	body = []byte(strings.TrimSpace(string(body)))
	if len(body) > 0 && body[0] == '[' {
		var raws []json.RawMessage
		if err := json.Unmarshal(body, &raws); err != nil {
			return nil, fmt.Errorf("event batch: %v", err)
		}
		if len(raws) > maxEventsInBatch {
			return nil, fmt.Errorf("a batch of %d events (over %d)", len(raws), maxEventsInBatch)
		}
		out := make([]Event, 0, len(raws))
		for _, r := range raws {
			ev, err := decodeEvent(r)
			if err != nil {
				return nil, err
			}
			out = append(out, ev)
		}
		return out, nil
	}
	ev, err := decodeEvent(body)
	if err != nil {
		return nil, err
	}
	return []Event{ev}, nil
}

func decodeEvent(b []byte) (Event, error) {
	var ev Event
	if err := json.Unmarshal(b, &ev); err != nil {
		return ev, fmt.Errorf("event: %v", err)
	}
	if ev.Type == "" {
		return ev, errors.New("event without a type")
	}
	for _, f := range []*string{&ev.Hostname, &ev.UUID, &ev.Name, &ev.Args, &ev.Kwargs, &ev.Queue, &ev.Exception, &ev.Traceback, &ev.SwIdent} {
		*f = cut(*f)
	}
	if len(ev.Loadavg) > 3 {
		ev.Loadavg = ev.Loadavg[:3]
	}
	return ev, nil
}

// cut bounds a text field.
func cut(s string) string {
	if len(s) <= maxField {
		return s
	}
	return strings.ToValidUTF8(s[:maxField], "") + "…"
}

// controlMessage is a broadcast control command (kombu's pidbox): method,
// arguments, and where replies go.
func controlMessage(method string, args map[string]any, to []string, ticket, replyKey string, expires float64, tag string) ([]byte, error) {
	if args == nil {
		args = map[string]any{}
	}
	var destination any // null: every worker
	if len(to) > 0 {
		destination = to
	}
	body, err := json.Marshal(map[string]any{
		"method": method, "arguments": args, "destination": destination, "pattern": nil, "matcher": nil, "ticket": ticket,
		"reply_to": map[string]string{"exchange": "reply.celery.pidbox", "routing_key": replyKey},
	})
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]any{
		"body": base64.StdEncoding.EncodeToString(body), "content-encoding": "utf-8", "content-type": "application/json",
		"headers": map[string]any{"clock": 1, "expires": expires},
		"properties": map[string]any{"delivery_mode": 2, "priority": 0, "body_encoding": "base64", "delivery_tag": tag,
			"delivery_info": map[string]string{"exchange": "celery.pidbox", "routing_key": ""}},
	})
}

// decodeReply reads one worker's reply to a control command: its ticket
// and {hostname: answer}.
func decodeReply(raw []byte) (ticket string, answers map[string]json.RawMessage, err error) {
	e, body, err := openEnvelope(raw)
	if err != nil {
		return "", nil, err
	}
	t, _ := e.Headers["ticket"].(string)
	if err := json.Unmarshal(body, &answers); err != nil {
		return "", nil, fmt.Errorf("control reply: %v", err)
	}
	return t, answers, nil
}

// TaskMessage is a task message (protocol 2) as it waits in a queue or in
// the unacked hash: its id and name from the headers.
type TaskMessage struct {
	ID, Name   string
	RoutingKey string
	Exchange   string
}

// decodeTaskMessage reads a task message's headers (the body stays encoded).
func decodeTaskMessage(raw []byte) (TaskMessage, error) {
	e, _, err := openEnvelope(raw)
	if err != nil {
		return TaskMessage{}, err
	}
	id, _ := e.Headers["id"].(string)
	name, _ := e.Headers["task"].(string)
	if id == "" {
		return TaskMessage{}, errors.New("a message without a task id")
	}
	return TaskMessage{ID: cut(id), Name: cut(name), RoutingKey: e.Properties.DeliveryInfo.RoutingKey, Exchange: e.Properties.DeliveryInfo.Exchange}, nil
}

// unackedEntry reads an entry of kombu's unacked hash: [message, exchange,
// routing key].
func unackedEntry(raw []byte) (TaskMessage, error) {
	var parts []json.RawMessage
	if len(raw) > maxMessage {
		return TaskMessage{}, errors.New("an unacked entry over the bound")
	}
	if err := json.Unmarshal(raw, &parts); err != nil || len(parts) < 3 {
		return TaskMessage{}, errors.New("not an unacked entry")
	}
	m, err := decodeTaskMessage(parts[0])
	if err != nil {
		return TaskMessage{}, err
	}
	var ex, rk string
	_ = json.Unmarshal(parts[1], &ex)
	_ = json.Unmarshal(parts[2], &rk)
	m.Exchange, m.RoutingKey = ex, rk
	return m, nil
}

// newTaskMessage is a task message (protocol 2) for name with args and
// kwargs, to be pushed onto queue: what Celery's send_task writes.
func newTaskMessage(id, name string, args, kwargs json.RawMessage, queue, origin, tag string) ([]byte, error) {
	if len(args) == 0 || string(args) == "null" {
		args = json.RawMessage("[]")
	}
	if len(kwargs) == 0 || string(kwargs) == "null" { // Celery wants a mapping
		kwargs = json.RawMessage("{}")
	}
	body, err := json.Marshal([]any{args, kwargs, map[string]any{"callbacks": nil, "errbacks": nil, "chain": nil, "chord": nil}})
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]any{
		"body": base64.StdEncoding.EncodeToString(body), "content-encoding": "utf-8", "content-type": "application/json",
		"headers": map[string]any{"lang": "py", "task": name, "id": id, "shadow": nil, "eta": nil, "expires": nil, "group": nil,
			"group_index": nil, "retries": 0, "timelimit": []any{nil, nil}, "root_id": id, "parent_id": nil,
			"argsrepr": cut(string(args)), "kwargsrepr": cut(string(kwargs)), "origin": origin, "ignore_result": false},
		"properties": map[string]any{"correlation_id": id, "reply_to": "", "delivery_mode": 2, "priority": 0,
			"body_encoding": "base64", "delivery_tag": tag,
			"delivery_info": map[string]string{"exchange": "", "routing_key": queue}},
	})
}
