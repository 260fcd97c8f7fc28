package bot

import "context"

type localeKey struct{}

// DefaultLocale is the language replies use unless a user, group or station
// chose another.
const DefaultLocale = "zh-CN"

// WithLocale returns ctx carrying the reply language for this message.
func WithLocale(ctx context.Context, locale string) context.Context {
	return context.WithValue(ctx, localeKey{}, locale)
}

// LocaleFrom returns the reply language carried by ctx, or DefaultLocale.
func LocaleFrom(ctx context.Context) string {
	if l, ok := ctx.Value(localeKey{}).(string); ok && l != "" {
		return l
	}
	return DefaultLocale
}

type messageKey struct{}

// WithMessageKey returns ctx carrying the key of the message being served
// (its chat and platform id), which Dedupe sets.
func WithMessageKey(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, messageKey{}, key)
}

// MessageKey returns the key of the message being served, "" outside one.
// The store remembers with it what a message created, so a message served
// again after a failure finishes its work instead of repeating it.
func MessageKey(ctx context.Context) string {
	k, _ := ctx.Value(messageKey{}).(string)
	return k
}
