package server

import (
	"slices"
	"testing"
	"time"
)

// BenchmarkRoundTripUnderFlood measures one hook's round trip (the real
// hook client: connect, send, verify the signed verdict), one at a time,
// without and then with another process holding 5,000 idle connections to
// the socket, in the same run, with the server's default limits. "hold"
// opens the 5,000 once and keeps what the engine does not close; "persist"
// reconnects every connection the engine closes, as fast as it can, and is
// measured once that churn is under way, with a read timeout of 2s instead
// of 10s (five times the churn). It reports the median and p99 of each
// phase and their ratios (flood / no flood), and the connections the
// flooder made.
//
//	go test -run '^$' -bench RoundTripUnderFlood -benchtime 400x ./engine/server/
func BenchmarkRoundTripUnderFlood(b *testing.B) {
	for _, persist := range []bool{false, true} {
		name := map[bool]string{false: "hold", true: "persist"}[persist]
		b.Run(name, func(b *testing.B) {
			o := Options{Build: "bench"}
			if persist {
				o.ReadTimeout = 2 * time.Second
			}
			s := startWith(b, o)
			// Each phase runs b.N round trips, and for at least twice the
			// read timeout, so that a persistent flooder's waves of
			// reconnections (one per timeout) fall inside it.
			measure := func(atLeast time.Duration) []time.Duration {
				ds := make([]time.Duration, 0, b.N)
				start := time.Now()
				for i := 0; i < b.N || time.Since(start) < atLeast; i++ {
					ds = append(ds, exchange(b, s, i))
				}
				slices.Sort(ds)
				return ds
			}
			var span time.Duration
			if persist {
				span = 2 * o.ReadTimeout
			}
			quiet := measure(span)
			f := startFlood(b, s.sock, 5000, persist)
			if persist {
				time.Sleep(o.ReadTimeout + 500*time.Millisecond) // the shed connections expire and come back
			}
			b.ResetTimer()
			flood := measure(span)
			b.StopTimer()
			f.stop()
			pct := func(ds []time.Duration, p float64) float64 {
				return float64(ds[min(len(ds)-1, int(float64(len(ds))*p))].Microseconds())
			}
			b.ReportMetric(pct(quiet, 0.5), "p50-µs-quiet")
			b.ReportMetric(pct(flood, 0.5), "p50-µs-flood")
			b.ReportMetric(pct(quiet, 0.99), "p99-µs-quiet")
			b.ReportMetric(pct(flood, 0.99), "p99-µs-flood")
			b.ReportMetric(pct(flood, 0.5)/pct(quiet, 0.5), "p50-ratio")
			b.ReportMetric(pct(flood, 0.99)/pct(quiet, 0.99), "p99-ratio")
			b.ReportMetric(float64(f.opened.Load()), "flood-conns")
		})
	}
}
