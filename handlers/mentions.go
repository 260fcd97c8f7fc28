package handlers

import (
	"strings"

	"github.com/huzhu-station/huzhu/bot"
)

// cutMentions removes "@name" words from args and returns the people they
// name, matched against the message's mentions by name. Platforms report
// mentions separately from the text, so the text is only where they stood.
func cutMentions(m *bot.Message, args string) (string, []bot.User) {
	var kept []string
	var users []bot.User
	for _, w := range strings.Fields(args) {
		name, ok := strings.CutPrefix(w, "@")
		if !ok || name == "" {
			kept = append(kept, w)
			continue
		}
		for _, u := range m.Mentions {
			if u.Name == name || u.ID == name {
				users = append(users, u)
				break
			}
		}
	}
	if len(users) == 0 && len(m.Mentions) > 0 && len(kept) < len(strings.Fields(args)) {
		users = m.Mentions // a platform that spells mentions differently from the text
	}
	return strings.Join(kept, " "), users
}
