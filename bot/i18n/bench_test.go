package i18n

import "testing"

// BenchmarkT renders representative sentences: plain text, one field,
// many fields with numbers, and one with {{if}}.
func BenchmarkT(b *testing.B) {
	cases := []struct {
		name, key string
		args      Args
	}{
		{"plain", "help_pointer", nil},
		{"one_field", "near_miss", Args{"Line": "/report the lift is broken"}},
		{"six_fields", "station_card", Args{"Name": "Sunny Garden", "Head": "Wang", "Groups": 3, "Filed": 42, "Solved": 40, "Escalated": 1, "Satisfaction": "97%"}},
		{"if", "event_resolved", Args{"When": "12-07 09:30", "Who": "Li", "Text": "fixed the light"}},
	}
	for _, c := range cases {
		for _, l := range Locales {
			b.Run(c.name+"/"+l, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					T(l, c.key, c.args)
				}
			})
		}
	}
}
