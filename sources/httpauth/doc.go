// Package httpauth is the HTTP transport shared by the clients of HTTP
// servers (Prometheus, Jaeger): bearer token or basic auth (files read on
// every request, so rotated secrets are used), extra headers, TLS with a CA
// and a client certificate (re-read when their files change), and timeouts
// on dialing, the handshake and the answer's headers.
package httpauth
