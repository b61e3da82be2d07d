// Package actions runs migrations, environment resets and runbook commands:
// the guard policy (which confirmation an action needs in which environment,
// decided in one place so that no key binding can bypass it), the process
// runner with streamed output and cancellation, the reset, and the audit
// log. The console's keys and `opsdeck run` both come through Execute.
package actions
