package console

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/ony-dev/ony-tui/engine/stats"
	"github.com/ony-dev/ony-tui/ledger"
)

// statsFunc is a StatsSource.
type statsFunc func(context.Context) (stats.Summary, error)

func (f statsFunc) Summary(ctx context.Context) (stats.Summary, error) { return f(ctx) }

// sampleStats are the figures of a few entries.
func sampleStats() stats.Summary {
	t := stats.NewTally()
	at := time.Date(2026, 12, 6, 9, 10, 0, 0, time.UTC)
	es := []ledger.Entry{
		{Seq: 1, Kind: ledger.KindAutoAllow, Action: "file.read", Risk: "low", Decision: "approve", Factors: []string{"auto"}, Time: at},
		{Seq: 2, Kind: ledger.KindRequest, RequestID: "r", Action: "git.push.force", Risk: "critical", Time: at},
		{Seq: 3, Kind: ledger.KindVerdict, RequestID: "r", Action: "git.push.force", Risk: "critical", Decision: "approve",
			Factors: []string{"keypad", "totp"}, Time: at.Add(6 * time.Second)},
	}
	for i := range es {
		t.Add(&es[i])
	}
	return t.Summary(at.Add(time.Minute))
}

// An attached console gets the engine's figures, as the engine computed
// them, over the console socket.
func TestStatsOverTheSocket(t *testing.T) {
	want := sampleStats()
	r := &rig{stats: statsFunc(func(context.Context) (stats.Summary, error) { return want, nil })}
	r = startRig(t, r)
	c := r.attach(t, "pts/1")
	got, err := c.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		t.Fatalf("figures changed on the way:\n got %s\nwant %s", g, w)
	}
	if got.All.Approved != 1 || got.All.AnswerMedian != 6000 {
		t.Fatalf("%+v", got.All)
	}
}

// An engine without a ledger says so; figures that cannot be (from a
// broken or hostile engine) are refused, never drawn.
func TestStatsRefusals(t *testing.T) {
	c := newRig(t).attach(t, "pts/1")
	if _, err := c.Stats(context.Background()); err == nil {
		t.Fatal("an engine with no figures answered")
	}
	bad := sampleStats()
	bad.Day.ByRisk.Critical += 5
	r := startRig(t, &rig{stats: statsFunc(func(context.Context) (stats.Summary, error) { return bad, nil })})
	if _, err := r.attach(t, "pts/2").Stats(context.Background()); err == nil {
		t.Fatal("figures that do not add up were accepted")
	}
}
