package realharness

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// api is the model API a CLI speaks.
type api int

const (
	anthropicAPI api = iota // Messages API: Claude Code, Copilot CLI (COPILOT_PROVIDER_TYPE=anthropic)
	responsesAPI            // OpenAI Responses API: Codex CLI
	geminiAPI               // Gemini API (generateContent): Gemini CLI
)

// model is a fake model API on loopback. Asked with the shell tool on offer
// and no tool result yet, it asks for one call of that tool with cmd; given a
// tool result, it records the result and ends the turn. Everything else
// (titles, routing, summaries) gets a short answer.
type model struct {
	srv   *httptest.Server
	cmd   string
	shell string // the shell tool's name in this CLI

	start time.Time

	mu      sync.Mutex
	asked   int      // tool calls asked for
	results []string // tool results received, as text
	log     []string // one line per request, for failure messages
}

func newModel(t *testing.T, kind api, shellTool, cmd string) *model {
	t.Helper()
	m := &model{cmd: cmd, shell: shellTool, start: time.Now()}
	var h http.HandlerFunc
	switch kind {
	case anthropicAPI:
		h = m.anthropic
	case responsesAPI:
		h = m.responses
	case geminiAPI:
		h = m.gemini
	}
	// httptest listens on 127.0.0.1 only.
	m.srv = httptest.NewServer(h)
	t.Cleanup(m.srv.Close)
	return m
}

// URL is the server's base URL.
func (m *model) URL() string { return m.srv.URL }

// Results returns the tool results received so far.
func (m *model) Results() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.results...)
}

// Asked is how many tool calls the model asked for.
func (m *model) Asked() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.asked
}

// Log is the request log.
func (m *model) Log() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return strings.Join(m.log, "\n")
}

func (m *model) note(r *http.Request, what string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.log = append(m.log, fmt.Sprintf("%6.1fs %s %s -> %s", time.Since(m.start).Seconds(), r.Method, r.URL.Path, what))
}

func (m *model) record(result string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.results = append(m.results, result)
}

func (m *model) askedOne() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.asked++
}

// body reads a JSON request body (gzip accepted) into v.
func body(r *http.Request, v any) error {
	var rd io.Reader = io.LimitReader(r.Body, 64<<20)
	if strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip") {
		z, err := gzip.NewReader(rd)
		if err != nil {
			return err
		}
		rd = z
	}
	b, err := io.ReadAll(rd)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	return json.Unmarshal(b, v)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// sse writes server-sent events; event "" writes data lines only.
type sse struct{ w http.ResponseWriter }

func newSSE(w http.ResponseWriter) sse {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	return sse{w}
}

func (s sse) send(event string, data any) {
	b, _ := json.Marshal(data)
	if event != "" {
		fmt.Fprintf(s.w, "event: %s\n", event)
	}
	fmt.Fprintf(s.w, "data: %s\n\n", b)
	if f, ok := s.w.(http.Flusher); ok {
		f.Flush()
	}
}

// text flattens a tool result (a string, a list of content blocks, an
// object with an output or text field) into text.
func text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			parts = append(parts, text(e))
		}
		return strings.Join(parts, " ")
	case map[string]any:
		for _, k := range []string{"text", "output", "content", "llmContent", "error", "stdout"} {
			if e, ok := x[k]; ok {
				return text(e)
			}
		}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// --- Anthropic Messages API ----------------------------------------------

func (m *model) anthropic(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/models"):
		m.note(r, "models")
		writeJSON(w, map[string]any{"data": []any{map[string]any{"type": "model", "id": "claude-sonnet-4-5",
			"display_name": "fake", "created_at": "2025-01-01T00:00:00Z"}}, "has_more": false})
		return
	case strings.HasSuffix(r.URL.Path, "/count_tokens"):
		writeJSON(w, map[string]any{"input_tokens": 42})
		return
	case r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/messages"):
		m.note(r, "empty")
		writeJSON(w, map[string]any{})
		return
	}
	var req struct {
		Model    string                  `json:"model"`
		Stream   bool                    `json:"stream"`
		Tools    []struct{ Name string } `json:"tools"`
		Messages []struct {
			Role    string `json:"role"`
			Content any    `json:"content"`
		} `json:"messages"`
	}
	if err := body(r, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var results []any
	for i := len(req.Messages) - 1; i >= 0; i-- {
		if req.Messages[i].Role != "user" {
			continue
		}
		blocks, _ := req.Messages[i].Content.([]any)
		for _, b := range blocks {
			if mb, ok := b.(map[string]any); ok && mb["type"] == "tool_result" {
				results = append(results, mb["content"])
			}
		}
		break
	}
	offered := false
	for _, tl := range req.Tools {
		offered = offered || tl.Name == m.shell
	}
	type block map[string]any
	var blocks []block
	stop := "end_turn"
	switch {
	case len(results) > 0:
		for _, res := range results {
			m.record(text(res))
		}
		blocks = []block{{"type": "text", "text": "Done."}}
		m.note(r, "tool result recorded")
	case offered:
		m.askedOne()
		blocks = []block{{"type": "tool_use", "id": "toolu_ony_fake_1", "name": m.shell,
			"input": map[string]any{"command": m.cmd, "description": "Run the command the user asked for"}}}
		stop = "tool_use"
		m.note(r, "tool call asked")
	default:
		blocks = []block{{"type": "text", "text": "ok"}}
		m.note(r, "text")
	}
	model := req.Model
	if model == "" {
		model = "claude-sonnet-4-5"
	}
	usage := map[string]any{"input_tokens": 10, "output_tokens": 5, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}
	if !req.Stream {
		writeJSON(w, map[string]any{"id": "msg_ony_fake", "type": "message", "role": "assistant", "model": model,
			"content": blocks, "stop_reason": stop, "stop_sequence": nil, "usage": usage})
		return
	}
	s := newSSE(w)
	s.send("message_start", map[string]any{"type": "message_start", "message": map[string]any{"id": "msg_ony_fake",
		"type": "message", "role": "assistant", "model": model, "content": []any{}, "stop_reason": nil,
		"stop_sequence": nil, "usage": usage}})
	for i, b := range blocks {
		if b["type"] == "text" {
			s.send("content_block_start", map[string]any{"type": "content_block_start", "index": i,
				"content_block": map[string]any{"type": "text", "text": ""}})
			s.send("content_block_delta", map[string]any{"type": "content_block_delta", "index": i,
				"delta": map[string]any{"type": "text_delta", "text": b["text"]}})
		} else {
			input, _ := json.Marshal(b["input"])
			s.send("content_block_start", map[string]any{"type": "content_block_start", "index": i,
				"content_block": map[string]any{"type": "tool_use", "id": b["id"], "name": b["name"], "input": map[string]any{}}})
			s.send("content_block_delta", map[string]any{"type": "content_block_delta", "index": i,
				"delta": map[string]any{"type": "input_json_delta", "partial_json": string(input)}})
		}
		s.send("content_block_stop", map[string]any{"type": "content_block_stop", "index": i})
	}
	s.send("message_delta", map[string]any{"type": "message_delta", "delta": map[string]any{"stop_reason": stop,
		"stop_sequence": nil}, "usage": map[string]any{"output_tokens": 5}})
	s.send("message_stop", map[string]any{"type": "message_stop"})
}

// --- OpenAI Responses API ------------------------------------------------

func (m *model) responses(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/models") {
		m.note(r, "models")
		writeJSON(w, map[string]any{"object": "list", "data": []any{}, "models": []any{}})
		return
	}
	if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/responses") {
		m.note(r, "empty")
		writeJSON(w, map[string]any{})
		return
	}
	var req struct {
		Model  string           `json:"model"`
		Stream bool             `json:"stream"`
		Tools  []map[string]any `json:"tools"`
		Input  []map[string]any `json:"input"`
	}
	if err := body(r, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	// Tool outputs after the last user message answer this turn's call.
	last := -1
	for i, it := range req.Input {
		if it["role"] == "user" {
			last = i
		}
	}
	var outputs []any
	for _, it := range req.Input[last+1:] {
		switch it["type"] {
		case "function_call_output", "custom_tool_call_output", "local_shell_call_output":
			outputs = append(outputs, it["output"])
		}
	}
	var item map[string]any
	switch {
	case len(outputs) > 0:
		for _, o := range outputs {
			m.record(text(o))
		}
		item = responsesMessage("Done.")
		m.note(r, "tool result recorded")
	default:
		name, args := "", map[string]any(nil)
		for _, tl := range req.Tools {
			switch tl["name"] {
			case "exec_command":
				name, args = "exec_command", map[string]any{"cmd": m.cmd}
			case "shell_command":
				name, args = "shell_command", map[string]any{"command": m.cmd}
			case "shell":
				name, args = "shell", map[string]any{"command": []string{"bash", "-lc", m.cmd}}
			}
			if name != "" {
				break
			}
		}
		if name == "" {
			item = responsesMessage("ok")
			m.note(r, "text")
			break
		}
		m.askedOne()
		a, _ := json.Marshal(args)
		item = map[string]any{"type": "function_call", "id": "fc_ony_fake", "call_id": "call_ony_fake", "name": name,
			"arguments": string(a), "status": "completed"}
		m.note(r, "tool call asked ("+name+")")
	}
	usage := map[string]any{"input_tokens": 10, "input_tokens_details": map[string]any{"cached_tokens": 0},
		"output_tokens": 5, "output_tokens_details": map[string]any{"reasoning_tokens": 0}, "total_tokens": 15}
	resp := map[string]any{"id": "resp_ony_fake", "object": "response", "status": "completed", "model": req.Model,
		"output": []any{item}, "usage": usage}
	if !req.Stream {
		writeJSON(w, resp)
		return
	}
	s := newSSE(w)
	created := map[string]any{}
	for k, v := range resp {
		created[k] = v
	}
	created["status"], created["output"] = "in_progress", []any{}
	s.send("response.created", map[string]any{"type": "response.created", "response": created})
	s.send("response.output_item.added", map[string]any{"type": "response.output_item.added", "output_index": 0, "item": item})
	s.send("response.output_item.done", map[string]any{"type": "response.output_item.done", "output_index": 0, "item": item})
	s.send("response.completed", map[string]any{"type": "response.completed", "response": resp})
}

func responsesMessage(t string) map[string]any {
	return map[string]any{"type": "message", "role": "assistant", "id": "msg_ony_fake", "status": "completed",
		"content": []any{map[string]any{"type": "output_text", "text": t, "annotations": []any{}}}}
}

// --- Gemini API ----------------------------------------------------------

func (m *model) gemini(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	switch {
	case r.Method == http.MethodGet:
		m.note(r, "models")
		writeJSON(w, map[string]any{"models": []any{}})
		return
	case strings.HasSuffix(path, ":countTokens"):
		writeJSON(w, map[string]any{"totalTokens": 42})
		return
	case !strings.HasSuffix(path, ":generateContent") && !strings.HasSuffix(path, ":streamGenerateContent"):
		m.note(r, "empty")
		writeJSON(w, map[string]any{})
		return
	}
	var req struct {
		Contents []struct {
			Role  string           `json:"role"`
			Parts []map[string]any `json:"parts"`
		} `json:"contents"`
		Tools []struct {
			FunctionDeclarations []struct{ Name string } `json:"functionDeclarations"`
		} `json:"tools"`
		GenerationConfig map[string]any `json:"generationConfig"`
	}
	if err := body(r, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var responses []any
	if n := len(req.Contents); n > 0 && req.Contents[n-1].Role != "model" {
		for _, p := range req.Contents[n-1].Parts {
			if fr, ok := p["functionResponse"].(map[string]any); ok {
				responses = append(responses, fr["response"])
			}
		}
	}
	offered := false
	for _, tl := range req.Tools {
		for _, f := range tl.FunctionDeclarations {
			offered = offered || f.Name == m.shell
		}
	}
	var parts []any
	switch {
	case len(responses) > 0:
		for _, res := range responses {
			m.record(text(res))
		}
		parts = []any{map[string]any{"text": "Done."}}
		m.note(r, "tool result recorded")
	case req.GenerationConfig["responseMimeType"] == "application/json":
		schema := req.GenerationConfig["responseJsonSchema"]
		if schema == nil {
			schema = req.GenerationConfig["responseSchema"]
		}
		b, _ := json.Marshal(fromSchema(schema))
		parts = []any{map[string]any{"text": string(b)}}
		m.note(r, "structured "+string(b))
	case offered:
		m.askedOne()
		parts = []any{map[string]any{"functionCall": map[string]any{"name": m.shell, "args": map[string]any{"command": m.cmd}}}}
		m.note(r, "tool call asked")
	default:
		parts = []any{map[string]any{"text": "ok"}}
		m.note(r, "text")
	}
	resp := map[string]any{
		"candidates": []any{map[string]any{"content": map[string]any{"role": "model", "parts": parts},
			"finishReason": "STOP", "index": 0}},
		"usageMetadata": map[string]any{"promptTokenCount": 10, "candidatesTokenCount": 5, "totalTokenCount": 15},
		"modelVersion":  "gemini-fake",
	}
	if strings.HasSuffix(path, ":streamGenerateContent") {
		newSSE(w).send("", resp)
		return
	}
	writeJSON(w, resp)
}

// fromSchema builds a small value that satisfies a JSON schema (Gemini CLI
// asks for structured answers to route and to decide who speaks next).
func fromSchema(s any) any {
	m, _ := s.(map[string]any)
	if enum, ok := m["enum"].([]any); ok && len(enum) > 0 {
		for _, e := range enum {
			if e == "user" { // "next speaker": hand the turn back
				return e
			}
		}
		return enum[0]
	}
	switch strings.ToLower(fmt.Sprint(m["type"])) {
	case "object":
		out := map[string]any{}
		props, _ := m["properties"].(map[string]any)
		for k, p := range props {
			out[k] = fromSchema(p)
		}
		return out
	case "array":
		return []any{}
	case "integer", "number":
		return 10
	case "boolean":
		return false
	}
	return "fake"
}
