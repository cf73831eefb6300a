package slacktest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// socketServer is the fake's Socket Mode endpoint: apps.connections.open
// hands out its URL; it greets each connection with "hello", pings it as
// Slack does, delivers envelopes pushed by SendSocketEvent and records the
// acknowledgements.
type socketServer struct {
	f   *Fake
	url string

	mu          sync.Mutex
	conns       []*socketConn
	acks        []string
	ackPayloads map[string]string // envelope id -> the payload acknowledged with it
	seq         int
}

type socketConn struct {
	mu   sync.Mutex // gorilla/websocket allows one writer at a time
	ws   *websocket.Conn
	done chan struct{}
}

func newSocketServer(f *Fake) *socketServer {
	return &socketServer{f: f, ackPayloads: map[string]string{}}
}

func (c *socketConn) writeJSON(v any) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return c.ws.WriteJSON(v)
}

func (c *socketConn) ping() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ws.WriteControl(websocket.PingMessage, []byte("slacktest"), time.Now().Add(5*time.Second))
}

func (s *socketServer) serve(w http.ResponseWriter, r *http.Request) {
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	ws, err := up.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade answered the client
	}
	c := &socketConn{ws: ws, done: make(chan struct{})}
	defer func() {
		close(c.done)
		ws.Close()
		s.mu.Lock()
		s.conns = slices.DeleteFunc(s.conns, func(x *socketConn) bool { return x == c })
		s.mu.Unlock()
	}()
	if err := c.writeJSON(obj{"type": "hello", "num_connections": 1,
		"debug_info":      obj{"host": "slacktest", "approximate_connection_time": 3600},
		"connection_info": obj{"app_id": "A0LOOKOUT"}}); err != nil {
		return
	}
	s.mu.Lock()
	s.conns = append(s.conns, c)
	s.mu.Unlock()
	go func() { // Slack pings; the client drops a connection that goes quiet
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-c.done:
				return
			case <-t.C:
				if c.ping() != nil {
					return
				}
			}
		}
	}()
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			return
		}
		var ack struct {
			EnvelopeID string          `json:"envelope_id"`
			Payload    json.RawMessage `json:"payload"`
		}
		if json.Unmarshal(data, &ack) == nil && ack.EnvelopeID != "" {
			s.mu.Lock()
			s.acks = append(s.acks, ack.EnvelopeID)
			if len(ack.Payload) > 0 && string(ack.Payload) != "null" {
				s.ackPayloads[ack.EnvelopeID] = string(ack.Payload)
			}
			s.mu.Unlock()
		}
	}
}

func (s *socketServer) closeAll() {
	s.mu.Lock()
	conns := slices.Clone(s.conns)
	s.mu.Unlock()
	for _, c := range conns {
		c.ws.Close()
	}
}

// SocketConnections returns how many Socket Mode clients are connected.
func (f *Fake) SocketConnections() int {
	f.socket.mu.Lock()
	defer f.socket.mu.Unlock()
	return len(f.socket.conns)
}

// SendSocketEvent delivers payload (an event_callback body, see
// EventCallback) to the newest Socket Mode connection as an events_api
// envelope, retryAttempt 0 for a first delivery, and returns the
// envelope id the client must acknowledge.
func (f *Fake) SendSocketEvent(payload []byte, retryAttempt int) (string, error) {
	return f.sendEnvelope("events_api", payload, retryAttempt)
}

// SendSocketInteractive delivers an interactivity payload (see Payload)
// as an interactive envelope and returns its envelope id.
func (f *Fake) SendSocketInteractive(payload []byte) (string, error) {
	return f.sendEnvelope("interactive", payload, 0)
}

// SendSocketSlashCommand delivers a slash command (see SlashCommandJSON)
// as a slash_commands envelope and returns its envelope id.
func (f *Fake) SendSocketSlashCommand(payload []byte) (string, error) {
	return f.sendEnvelope("slash_commands", payload, 0)
}

func (f *Fake) sendEnvelope(typ string, payload []byte, retryAttempt int) (string, error) {
	s := f.socket
	s.mu.Lock()
	if len(s.conns) == 0 {
		s.mu.Unlock()
		return "", errors.New("slacktest: no Socket Mode client is connected")
	}
	c := s.conns[len(s.conns)-1]
	s.seq++
	id := fmt.Sprintf("envelope-%04d", s.seq)
	s.mu.Unlock()
	env := obj{"envelope_id": id, "type": typ, "payload": json.RawMessage(payload),
		"accepts_response_payload": typ != "events_api", "retry_attempt": retryAttempt}
	if retryAttempt > 0 {
		env["retry_reason"] = "timeout"
	}
	return id, c.writeJSON(env)
}

// SocketAcks returns the envelope ids acknowledged so far, in order.
func (f *Fake) SocketAcks() []string {
	f.socket.mu.Lock()
	defer f.socket.mu.Unlock()
	return slices.Clone(f.socket.acks)
}

// SocketAckPayload returns the payload an envelope was acknowledged with
// (a slash command's immediate answer), "" for none.
func (f *Fake) SocketAckPayload(envelopeID string) string {
	f.socket.mu.Lock()
	defer f.socket.mu.Unlock()
	return f.socket.ackPayloads[envelopeID]
}
