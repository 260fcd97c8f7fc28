package i18n

// Nearly every sentence of the catalogues is plain text or text with
// {{.Name}} fields in it. go-i18n renders each one through text/template,
// whose execution walks the tree with reflection and allocates at every
// step; with T called for every reply, that was a visible share of the
// bot's CPU time and allocations. So at load time each sentence whose text
// has no action, or whose only actions are {{.Name}} fields, is compiled
// into its text and field parts, and T renders it by appending them. Any
// other sentence ({{if}}, pipelines, functions, nested fields) goes
// through go-i18n as before. The compiled form prints exactly what
// text/template prints: the catalogue tests render every sentence both
// ways and compare.

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"text/template"
	"text/template/parse"

	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
)

// sentence is one catalogue entry: go-i18n's template and, when the text
// is simple enough, the same text compiled for T to render without it.
type sentence struct {
	template *goi18n.MessageTemplate
	// compiled reports whether parts render the sentence; when false, T
	// executes template.
	compiled bool
	// parts are the text and the fields in order, adjacent texts merged;
	// a text with no action is a single part.
	parts []part
	// textLen is the length of all the text parts, the least a rendering
	// takes.
	textLen int
}

// part is a piece of compiled text: a field, named without its dot, or
// else literal text.
type part struct {
	text, field string
}

// newSentence wraps go-i18n's template of a message, compiling its text
// when it is plain or only substitutes fields. A nil template, a message
// with no text, stays nil, so that T treats the key as missing, as go-i18n
// would.
func newSentence(mt *goi18n.MessageTemplate) *sentence {
	if mt == nil {
		return nil
	}
	s := &sentence{template: mt}
	s.parts, s.compiled = compile(mt)
	for _, p := range s.parts {
		s.textLen += len(p.text)
	}
	return s
}

// compile returns the parts of mt's one text, and false when the text
// needs text/template: anything but literal text and {{.Name}} actions.
func compile(mt *goi18n.MessageTemplate) ([]part, bool) {
	t := mt.PluralTemplates["other"]
	if t == nil {
		return nil, false
	}
	// As go-i18n's text parser does: a text without the left delimiter is
	// not parsed at all, and is said as it is.
	left, right := t.LeftDelim, t.RightDelim
	if left == "" {
		left = "{{"
	}
	if right == "" {
		right = "}}"
	}
	if !strings.Contains(t.Src, left) {
		return []part{{text: t.Src}}, true
	}
	// Parsed as go-i18n parses it, so trim markers ({{- -}}) and comments
	// come out as text/template sees them.
	tmpl, err := template.New("").Delims(left, right).Option("missingkey=default").Parse(t.Src)
	if err != nil || tmpl.Tree == nil || tmpl.Root == nil || len(tmpl.Templates()) != 1 {
		return nil, false
	}
	var parts []part
	for _, n := range tmpl.Root.Nodes {
		switch n := n.(type) {
		case *parse.TextNode:
			if k := len(parts) - 1; k >= 0 && parts[k].field == "" {
				parts[k].text += string(n.Text)
			} else {
				parts = append(parts, part{text: string(n.Text)})
			}
		case *parse.ActionNode:
			name, ok := plainField(n)
			if !ok {
				return nil, false
			}
			parts = append(parts, part{field: name})
		default:
			return nil, false
		}
	}
	return parts, true
}

// plainField returns the name of the field an action prints, when the
// action is exactly {{.Name}}: one command of one single-name field, no
// variable declared or assigned.
func plainField(n *parse.ActionNode) (string, bool) {
	p := n.Pipe
	if p == nil || len(p.Decl) != 0 || p.IsAssign || len(p.Cmds) != 1 || len(p.Cmds[0].Args) != 1 {
		return "", false
	}
	f, ok := p.Cmds[0].Args[0].(*parse.FieldNode)
	if !ok || len(f.Ident) != 1 || f.Ident[0] == "" {
		return "", false
	}
	return f.Ident[0], true
}

// maxSizedFields is how many field values render looks up once and keeps
// to size its output exactly; a sentence with more looks its values up as
// it writes them.
const maxSizedFields = 8

// render says a compiled sentence with args, or returns false when a value
// cannot be printed (a func or a chan), where text/template fails.
func (s *sentence) render(args Args) (string, bool) {
	if len(s.parts) == 1 && s.parts[0].field == "" {
		return s.parts[0].text, true
	}
	// Look the values up once and size the result from them, so that the
	// builder allocates once.
	var vals [maxSizedFields]any
	size, i := s.textLen, 0
	for _, p := range s.parts {
		if p.field == "" {
			continue
		}
		if i == len(vals) {
			size += 16 // an estimate for the rest
			continue
		}
		v := args[p.field]
		vals[i] = v
		i++
		switch v := v.(type) {
		case string:
			size += len(v)
		case nil:
			size += len(noValue)
		default:
			size += 20 // the longest int64
		}
	}
	var b strings.Builder
	b.Grow(size)
	i = 0
	for _, p := range s.parts {
		if p.field == "" {
			b.WriteString(p.text)
			continue
		}
		var v any
		if i < len(vals) {
			v = vals[i]
			i++
		} else {
			v = args[p.field]
		}
		if !printField(&b, v) {
			return "", false
		}
	}
	return b.String(), true
}

// noValue is what text/template prints for a missing key or a nil value.
const noValue = "<no value>"

// printField writes v as text/template prints a field's value from a
// map[string]any: a missing key or a nil value is "<no value>", and any
// other value goes through printable and then fmt.Fprint. Strings and
// ints, most of what the bot passes, are written directly, as fmt would
// write them. It returns false when v cannot be printed.
func printField(b *strings.Builder, v any) bool {
	switch v := v.(type) {
	case nil:
		b.WriteString(noValue)
	case string:
		b.WriteString(v)
	case int:
		var buf [20]byte
		b.Write(strconv.AppendInt(buf[:0], int64(v), 10))
	case int64:
		var buf [20]byte
		b.Write(strconv.AppendInt(buf[:0], v, 10))
	default:
		p, ok := printable(v)
		if !ok {
			return false
		}
		// Formatted into a buffer of its own, since handing b to
		// fmt.Fprint would move it to the heap on every call.
		var buf [64]byte
		b.Write(fmt.Append(buf[:0], p))
	}
	return true
}

var (
	errorType       = reflect.TypeFor[error]()
	fmtStringerType = reflect.TypeFor[fmt.Stringer]()
)

// printable is text/template's printableValue (text/template/exec.go): it
// returns the value fmt should print for v, following pointers to what
// they point at unless the pointer is what has the String or Error method,
// and false for a func or a chan, which text/template refuses to print.
func printable(v any) (any, bool) {
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer {
		rv, _ = indirect(rv) // fmt.Fprint handles nil.
	}
	if !rv.IsValid() {
		return noValue, true
	}
	t := rv.Type()
	if !t.Implements(errorType) && !t.Implements(fmtStringerType) {
		if rv.CanAddr() && (reflect.PointerTo(t).Implements(errorType) || reflect.PointerTo(t).Implements(fmtStringerType)) {
			rv = rv.Addr()
		} else {
			switch rv.Kind() {
			case reflect.Chan, reflect.Func:
				return nil, false
			}
		}
	}
	return rv.Interface(), true
}

// indirect is text/template's: it follows pointers and interfaces until a
// value that is neither, or a nil one, and reports whether it stopped at a
// nil.
func indirect(v reflect.Value) (rv reflect.Value, isNil bool) {
	for ; v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface; v = v.Elem() {
		if v.IsNil() {
			return v, true
		}
	}
	return v, false
}
