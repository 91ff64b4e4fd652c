// Package tui is Ony's terminal approval console: a Bubble Tea program that
// shows what agents are waiting to do and lets the person at the keyboard
// approve or deny each request, engage the kill switch, and watch the audit
// chain verify live.
//
// The console is a view over engine.Engine, which stays the authority:
// every decision goes through Engine.Decide, and every piece of I/O runs in
// a tea.Cmd so Update never blocks. Approving takes a deliberate shifted key
// (A); Enter, space and lowercase letters never decide.
package tui

import (
	"context"
	"time"

	"charm.land/bubbles/v2/help"
	tea "charm.land/bubbletea/v2"

	"github.com/ony-dev/ony-tui/engine"
)

// Deps are what the console needs from the application.
type Deps struct {
	// Engine is the authority the console drives. Required.
	Engine Engine
	// Label names this console to the others (who answered a request).
	Label string
	// Attached says the engine runs elsewhere (a service, another
	// terminal): quitting this console detaches and nothing is denied.
	Attached bool
	// Chain is the audit ledger; nil shows "ledger not attached".
	Chain Chain
	// Socket is the path of the socket hooks connect to, shown in the header.
	Socket string
	// Now is the clock for ages, countdowns and message timeouts; nil means
	// time.Now.
	Now func() time.Time
	// NoColor renders without any colour (set it when NO_COLOR is set).
	NoColor bool
	// ChainPoll is how often the ledger panel is refreshed; 0 means 500 ms.
	ChainPoll time.Duration
	// Note, when set, returns a short line for the header, such as the
	// demo's current code. It must be cheap and do no I/O.
	Note func() string
	// Stats gives the figures of the stats page (s); nil says there are
	// none (no ledger attached).
	Stats StatsSource
}

// Console geometry.
const (
	// MinWidth and MinHeight are the smallest terminal the full console
	// fits; below it a short notice replaces the layout.
	MinWidth  = 50
	MinHeight = 12
	// wideWidth is where the detail pane moves beside the queue.
	wideWidth = 120
	// statusFor is how long a transient message stays.
	statusFor = 4 * time.Second
	// defaultChainPoll is the ledger refresh period.
	defaultChainPoll = 500 * time.Millisecond
)

type statusKind int

const (
	statusInfo statusKind = iota
	statusSuccess
	statusHint
)

// status is a transient one-line message, cleared by the clock tick.
type status struct {
	text  string
	kind  statusKind
	until time.Time
}

// Model is the console's root model. Only it renders a tea.View; the panels
// render strings.
type Model struct {
	deps    Deps
	now     func() time.Time
	poll    time.Duration
	snapper *snapshotter
	ctx     context.Context // ends when the console quits
	stop    context.CancelFunc

	keys   KeyMap
	styles Styles
	help   help.Model

	width, height int
	lay           layout

	snap     engine.Snapshot
	snapSeq  uint64
	haveSnap bool
	seen     map[string]bool // requests already announced with the bell

	queue       queue
	detail      detail
	ledger      ledgerView
	code        codeInput
	touchDlg    touchDialog
	rememberDlg rememberDialog
	confirm     confirm
	filter      lineInput
	filtering   bool
	showHelp    bool
	helpScroll  int // the first line of the help overlay shown
	stats       statsView
	rules       rulesView
	focusDetail bool
	// reveal is the request whose secrets the owner chose to see; it ends
	// when the selection moves.
	reveal string

	status   status
	errs     []engine.Problem // the console's own errors
	acked    map[string]bool  // engine problems dismissed
	inflight string           // the request being decided
	// own is this console's decision in flight: the request and the
	// requests on screen when the key was pressed. When that request
	// leaves the queue, the selection moving to one of those is the
	// person's own doing, not a surprise: the guard against a changed
	// selection stays off (ownMoved records that it was waived).
	own      ownDecision
	ownMoved bool
	quitting bool

	activitySent time.Time // when a key press was last reported to the engine
}

// ownDecision is a decision this console sent and has not heard back on.
type ownDecision struct {
	id   string
	seen map[string]bool
}

// New returns the console for deps. deps.Engine must not be nil.
func New(deps Deps) Model {
	if deps.Engine == nil {
		panic("tui.New: Deps.Engine is required")
	}
	now := deps.Now
	if now == nil {
		now = time.Now
	}
	poll := deps.ChainPoll
	if poll <= 0 {
		poll = defaultChainPoll
	}
	ctx, stop := context.WithCancel(context.Background())
	st := NewStyles(true, deps.NoColor)
	m := Model{
		deps:        deps,
		now:         now,
		poll:        poll,
		snapper:     newSnapshotter(ctx, deps.Engine),
		ctx:         ctx,
		stop:        stop,
		keys:        DefaultKeyMap(),
		styles:      st,
		help:        help.New(),
		seen:        map[string]bool{},
		acked:       map[string]bool{},
		detail:      newDetail(),
		ledger:      newLedgerView(deps.Chain != nil, &st),
		code:        newCodeInput(&st),
		touchDlg:    newTouchDialog(&st),
		rememberDlg: newRememberDialog(&st),
		filter:      lineInput{},
	}
	m.help.Styles = st.Help
	m.filter.Prompt = "/ session: "
	m.filter.Placeholder = "part of an agent session id"
	m.filter.CharLimit = 128
	m.filter.Styles = st.Input
	return m
}

// Init asks for the background colour and starts the engine watcher, the
// clock and the ledger polling.
func (m Model) Init() tea.Cmd {
	cmds := []tea.Cmd{tea.RequestBackgroundColor, refreshCmd(m.snapper), watchCmd(m.ctx, m.snapper), clockCmd()}
	if m.deps.Chain != nil {
		ctx, c, n := m.ctx, m.deps.Chain, m.chainLines()
		cmds = append(cmds, func() tea.Msg { return readChain(ctx, c, n, true) })
	}
	return tea.Batch(cmds...)
}

// Quitting reports that the person chose to quit. The caller then calls
// Engine.Close, which denies and records every request still waiting.
func (m Model) Quitting() bool { return m.quitting }

// Update handles one message. It never blocks: engine and ledger calls are
// returned as commands.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	var cmd tea.Cmd
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
	case tea.BackgroundColorMsg:
		m.setTheme(msg.IsDark())
	case snapshotMsg:
		cmd = m.applySnapshot(msg)
	case decidedMsg:
		cmd = m.onDecided(msg)
	case rememberedMsg:
		cmd = m.onRemembered(msg)
	case killSwitchMsg:
		cmd = m.onKillSwitch(msg)
	case awayMsg:
		cmd = m.onAway(msg)
	case chainMsg:
		cmd = m.onChain(msg)
	case clockMsg:
		if !m.status.until.IsZero() && !m.now().Before(m.status.until) {
			m.status = status{}
		}
		cmd = tea.Batch(clockCmd(), m.refreshStats())
	case reverifyStartedMsg:
		cmd = m.onReverifyStarted(msg)
	case reverifyProgressMsg:
		cmd = m.onReverifyProgress(msg)
	case reverifyDoneMsg:
		cmd = m.onReverifyDone(msg)
	case statsMsg:
		cmd = m.onStats(msg)
	case rulesMsg:
		m.onRules(msg)
	case tea.KeyPressMsg:
		cmd = m.onKey(msg)
	case tea.PasteMsg:
		cmd = m.onPaste(msg)
	case tea.MouseClickMsg:
		m.onClick(msg)
	case tea.MouseWheelMsg:
		m.onWheel(msg)
	}
	m.relayout()
	return m, cmd
}

// View renders the console in the alternate screen with mouse reporting;
// the window title says how many requests wait.
func (m Model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.MouseMode = tea.MouseModeCellMotion
	v.WindowTitle = m.windowTitle()
	return v
}

// setTheme rebuilds the styles for the terminal's background.
func (m *Model) setTheme(isDark bool) {
	m.styles = NewStyles(isDark, m.deps.NoColor)
	m.help.Styles = m.styles.Help
	m.code.input.Styles = m.styles.Input
	m.touchDlg.input.Styles = m.styles.Input
	m.rememberDlg.input.Styles = m.styles.Input
	m.filter.Styles = m.styles.Input
	m.ledger.setStyles(&m.styles)
	m.detail.key = "" // the content carries styles: rebuild it
}

// setStatus shows a transient message.
func (m *Model) setStatus(kind statusKind, text string) {
	m.status = status{text: text, kind: kind, until: m.now().Add(statusFor)}
}

// addErr shows one of the console's own errors until dismissed.
func (m *Model) addErr(text string) {
	m.errs = append(m.errs, engine.Problem{Time: m.now(), Message: text})
	if len(m.errs) > 20 {
		m.errs = m.errs[len(m.errs)-20:]
	}
}

// dismiss hides every error shown now.
func (m *Model) dismiss() {
	for _, p := range m.snap.Problems {
		m.acked[problemKey(p)] = true
	}
	m.errs = nil
}

// chainLines is how many ledger entries to ask for.
func (m *Model) chainLines() int { return max(16, m.lay.ledger.h) }
