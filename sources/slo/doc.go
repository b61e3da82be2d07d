// Package slo reads service level objectives from Prometheus: those sloth
// and pyrra recorded (found through /api/v1/rules?type=record) and those the
// configuration declares (their queries derived here), each read in one
// query a refresh that answers its error ratio over every window at once.
package slo
