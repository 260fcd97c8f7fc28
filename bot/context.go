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
