package stats

import "time"

// hist counts durations in fixed buckets: 100 ms wide below 10 s, 1 s wide
// below 10 min, 1 min wide below 2 h, and one bucket beyond. Quantiles are
// read from the buckets, so they are exact to the bucket's width, and
// merging two histograms is adding them.
type hist struct {
	n      uint64
	counts [histBuckets]uint32
}

const (
	fineEnd     = 100           // buckets 0..99: 100 ms each, up to 10 s
	secEnd      = fineEnd + 590 // then 1 s each, up to 10 min
	minEnd      = secEnd + 110  // then 1 min each, up to 2 h
	histBuckets = minEnd + 1    // then everything longer
	fineWidth   = 100 * time.Millisecond
)

func bucketOf(d time.Duration) int {
	switch {
	case d < 10*time.Second:
		return int(d / fineWidth)
	case d < 10*time.Minute:
		return fineEnd + int((d-10*time.Second)/time.Second)
	case d < 2*time.Hour:
		return secEnd + int((d-10*time.Minute)/time.Minute)
	}
	return minEnd
}

// lowerBound is the shortest duration bucket i holds.
func lowerBound(i int) time.Duration {
	switch {
	case i < fineEnd:
		return time.Duration(i) * fineWidth
	case i < secEnd:
		return 10*time.Second + time.Duration(i-fineEnd)*time.Second
	case i < minEnd:
		return 10*time.Minute + time.Duration(i-secEnd)*time.Minute
	}
	return 2 * time.Hour
}

func (h *hist) add(d time.Duration) {
	if d < 0 {
		d = 0
	}
	h.counts[bucketOf(d)]++
	h.n++
}

func (h *hist) merge(o *hist) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
}

// quantile returns the lower bound of the bucket holding the q-th
// quantile (0 < q ≤ 1) by the nearest-rank method; 0 when empty.
func (h *hist) quantile(q float64) time.Duration {
	if h == nil || h.n == 0 {
		return 0
	}
	rank := uint64(q*float64(h.n) + 0.999999)
	rank = max(1, min(rank, h.n))
	var seen uint64
	for i, c := range h.counts {
		seen += uint64(c)
		if seen >= rank {
			return lowerBound(i)
		}
	}
	return lowerBound(histBuckets - 1)
}
