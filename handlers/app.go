package handlers

import (
	"log/slog"
	"slices"
	"time"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/scheduler"
)

// Deps are what the handlers need from the rest of the program.
type Deps struct {
	Store  *store.Store
	Sender bot.Sender
	Clock  bot.Clock
	Log    *slog.Logger
	// Scheduler keeps reminders; the handlers register the jobs it runs.
	Scheduler *scheduler.Scheduler
	// Admins are subdistrict administrators by user key ("telegram:123"):
	// they see every station's figures and may broadcast to every station.
	Admins []string
	// BotNames are the names people mention the bot by.
	BotNames []string
	// RateInterval and RateBurst bound how fast one person's commands are
	// served; zero values pick sensible defaults.
	RateInterval time.Duration
	RateBurst    int
	// WebURL is the public base URL of the web pages (handlers/web), which
	// the links the bot gives start with; "" when no page is served.
	WebURL string
	// Observe, when set, runs just inside the middleware that answers
	// errors, so it sees each command's error before it is answered and
	// dropped (metrics.Metrics.Outcomes).
	Observe bot.Middleware
	// Photos reports whether messages to a platform carry their pictures
	// (bot.Dispatcher.SendsPhotos); nil: none do, and no chart is drawn.
	Photos func(platform string) bool
}

// App is huzhu's command set on one store.
type App struct {
	store  *store.Store
	sender bot.Sender
	clock  bot.Clock
	log    *slog.Logger
	sched  *scheduler.Scheduler
	admins []string
	// botNames are the bot's own names, which nobody may register under.
	botNames []string
	// webBase is Deps.WebURL.
	webBase string
	router  *bot.Router
	photos  func(platform string) bool
}

// New returns the App with every command registered.
func New(d Deps) *App {
	a := &App{store: d.Store, sender: d.Sender, clock: d.Clock, log: d.Log, sched: d.Scheduler, admins: d.Admins,
		botNames: d.BotNames, webBase: d.WebURL, photos: d.Photos}
	a.router = bot.NewRouter(d.BotNames...)
	a.registerRoutes()
	a.registerJobs()
	return a
}

// Handler returns the full chain every inbound message goes through: drop
// what is not for the bot (ordinary chat never reaches the rest, a photo
// shared in a group costs one read), log,
// answer a store outage, recover, carry the clock, drop redelivered
// messages, identify the sender and their station, reply to errors (a
// handler's panic too), deliver kept private messages, rate limit, attach
// late photos, office steps named by a station's prefix (office.go), route.
func (a *App) Handler(d Deps) bot.Handler {
	interval, burst := d.RateInterval, d.RateBurst
	if interval == 0 {
		interval = time.Second
	}
	if burst == 0 {
		burst = 20
	}
	observe := d.Observe
	if observe == nil {
		observe = func(h bot.Handler) bot.Handler { return h }
	}
	return bot.Chain(a.router,
		bot.Only(a.wants),
		a.skipSharedPhotos,
		bot.Logging(a.log),
		a.answerOutages,
		bot.Recover(), // a panic before identify: logged, not answered
		a.carryClock,
		a.identifyAhead,
		bot.Dedupe(a.store),
		a.identify,
		a.replyToErrors, // after identify, so errors are told in the reader's language
		observe,
		bot.Recover(), // a panic in a command: answered by replyToErrors
		a.deliverKept,
		bot.RateLimit(interval, burst, a.clock),
		a.attachLatePhotos,
		a.officeLines,
	)
}

// Router returns the router, for help listings and tests.
func (a *App) Router() *bot.Router { return a.router }

func (a *App) now() time.Time { return a.clock.Now() }

func (a *App) isAdmin(u bot.User) bool { return slices.Contains(a.admins, u.Key()) }

// groupOf returns the key of the group m was written in, kept with what m
// creates so that notices about it can fall back to that group; "" for a
// private message, whose answers go to the person privately.
func groupOf(m *bot.Message) string {
	if m.IsPrivate() {
		return ""
	}
	return m.Chat.Key()
}

// chatFromKey rebuilds a chat from its store key.
func chatFromKey(key string, kind bot.ChatKind) bot.Chat {
	platform, id := splitKey(key)
	return bot.Chat{Platform: platform, ID: id, Kind: kind}
}

// userFromKey rebuilds a user from its store key.
func userFromKey(key, name string) bot.User {
	platform, id := splitKey(key)
	return bot.User{Platform: platform, ID: id, Name: name}
}

func splitKey(key string) (string, string) {
	for i := 0; i < len(key); i++ {
		if key[i] == ':' {
			return key[:i], key[i+1:]
		}
	}
	return "", key
}
