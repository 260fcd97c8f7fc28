package bot

import "context"

// Handler serves one message. It answers through r and returns an error
// that a middleware turns into a log line and a short reply; it never logs
// and returns the same error.
type Handler interface {
	ServeMessage(ctx context.Context, r Responder, m *Message) error
}

// HandlerFunc adapts an ordinary function to a Handler.
type HandlerFunc func(ctx context.Context, r Responder, m *Message) error

// ServeMessage calls f.
func (f HandlerFunc) ServeMessage(ctx context.Context, r Responder, m *Message) error {
	return f(ctx, r, m)
}

// Middleware wraps a Handler with behaviour shared by many commands.
type Middleware func(Handler) Handler

// Chain applies middleware so that the first one listed runs first.
func Chain(h Handler, mw ...Middleware) Handler {
	for i := len(mw) - 1; i >= 0; i-- {
		h = mw[i](h)
	}
	return h
}
