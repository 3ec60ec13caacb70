// Package loadtest drives paybridge at a fixed arrival rate (an open model:
// a request is sent on schedule whether or not earlier ones have returned,
// as real CRMs and shoppers do) and measures what the targets are
// about: latency added by paybridge, Clover rate-limit answers, Clover
// calls per payment, double charges, and how much of a token's Clover
// budget was put to use.
//
// The pieces are independent of how paybridge is run: Run schedules
// arrivals; Meter wraps cloversim to count what Clover would count;
// Attribution splits each API request's time into Clover calls, waiting
// for the Clover budget, and paybridge's own; Naive is the baseline CRM
// that calls Clover itself. `paybridge loadtest` (cmd/paybridge) wires them
// to a real paybridge and prints a Report.
package loadtest
