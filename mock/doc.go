// Package mock is a validating fake of the Luma video-generation proxy API, driven by openapi.yaml: every
// request is judged against the document (package admission), and valid submissions become tasks that answer in
// either response shape the document allows.
//
// A task's state is a function of the clock and its plan. On each state change the mock POSTs the task to its
// notify_hook. Callbacks queue per receiver, the address a hook resolves to rather than its spelling: each
// receiver has a bounded queue and a bound on deliveries in flight, receivers share a bounded set of workers by
// the time they hold them, and receivers that fail or stall wait behind the healthy ones, so a dead, hanging or
// slow receiver delays only its own callbacks. A task's callbacks leave one at a time, in order, each retried
// after a backoff. Reset, Complete, Fail and Shutdown never wait for a receiver: reset cuts the deliveries in
// flight of the tasks it drops and journals them as cancelled. The journals of requests and callback attempts
// are bounded in entries and bytes.
package mock
