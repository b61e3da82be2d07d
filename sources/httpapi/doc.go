// Package httpapi is what the clients of HTTP servers share (Prometheus,
// Jaeger, Alertmanager): the transport, with a bearer token or basic auth
// (files read on every request, so rotated secrets are used), extra
// headers, TLS with a CA and a client certificate (re-read when their files
// change), and timeouts on dialing, the handshake and the answer's headers;
// and API, one request bounded in time and size, its failures said in words
// with every secret masked.
package httpapi
