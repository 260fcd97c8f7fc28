package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/calendar"
	"github.com/huzhu-station/huzhu/bot/console"
	"github.com/huzhu-station/huzhu/bot/metrics"
	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/bot/telegram"
	"github.com/huzhu-station/huzhu/bot/wechat"
)

// Config is everything huzhu reads from its flags and environment. Only
// package main reads either.
type Config struct {
	Command  string // one of subcommands: run, console, version, bench, import, export, help
	Store    store.Config
	LogLevel slog.Level
	Admins   []string
	// FakeClock, when not zero, starts the console on a clock that only
	// moves with :advance.
	FakeClock time.Time
	BotName   string
	// RateBurst is how many commands one person may send at once; zero
	// keeps the default.
	RateBurst int
	// Telegram turns the Telegram platform on when it has a token.
	Telegram TelegramConfig
	// WeChat turns the WeChat platform on.
	WeChat WeChatConfig
	// AlertChat is where operators are told what needs a person (a WeChat
	// login to scan): HUZHU_ALERT_CHAT, "platform:chatid".
	AlertChat *bot.Chat
	// Bench is what `huzhu bench` measures (bench.go); nil for the others.
	Bench *benchOptions
	// Data is what `huzhu import` and `huzhu export` read and write
	// (roster.go, export.go); nil for the others.
	Data *dataOptions
	// MetricsAddr is where /metrics, /healthz and /readyz are served
	// (--metrics, HUZHU_METRICS_ADDR); "" leaves them off.
	MetricsAddr string
	// HTTPAddr is where the web pages are served (--http, HUZHU_HTTP); ""
	// leaves them off.
	HTTPAddr string
	// PublicURL is the base of the links the bot gives to the pages
	// (--public-url, HUZHU_PUBLIC_URL); empty, it is http:// and HTTPAddr.
	PublicURL string
	// observe is what the metrics are counted in, made by run when
	// MetricsAddr is set (observe.go); nil counts nothing.
	observe *metrics.Metrics
	// DataDirChosen is true when --data or HUZHU_DATA named the embedded
	// store's directory; piped console input without it plays on a fresh
	// temporary store (demo.go).
	DataDirChosen bool
}

// subcommands are huzhu's commands, in the order `huzhu --help` lists them.
var subcommands = []struct{ name, usage string }{
	{"run", "run the bot on the platforms configured (TELEGRAM_TOKEN, WECHAT=1); with none, the console (the default)"},
	{"console", "a group chat in this terminal; piped input is a demo on a fresh temporary store (see README)"},
	{"version", "print the version"},
	{"bench", "bench reminders|mix [flags]: measure scheduling and delivering reminders, or serving the mix residents send"},
	{"import", "import roster FILE.csv [--station N]: households and residents from a spreadsheet"},
	{"export", "export fund|poll N [--station N] [--format csv|xlsx] [--out FILE]: a ledger or a poll's result"},
	{"help", "print this help"},
}

// subcommandNames is "run, console, …" for error messages.
func subcommandNames() string {
	names := make([]string, len(subcommands))
	for i, c := range subcommands {
		names[i] = c.name
	}
	return strings.Join(names, ", ")
}

// errHelp is returned when the command line asked for help, which has been
// printed; the program then exits 0.
var errHelp = errors.New("help printed")

// printUsage writes the help of `huzhu --help`: every subcommand, the
// environment huzhu reads, and the flags of fs.
func printUsage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintln(w, "usage: huzhu [COMMAND] [flags]")
	fmt.Fprintln(w, "\ncommands:")
	for _, c := range subcommands {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.usage)
	}
	fmt.Fprintln(w, "\nenvironment: REDIS_URL, REDIS_ADDRS, REDIS_SENTINEL_MASTER, REDIS_SENTINEL_ADDRS, REDIS_PASSWORD,")
	fmt.Fprintln(w, "  REDIS_WAIT_REPLICAS, REDIS_WAIT_TIMEOUT,")
	fmt.Fprintln(w, "  HUZHU_DATA, HUZHU_ADMINS, HUZHU_ALERT_CHAT, HUZHU_BOT_NAME, HUZHU_METRICS_ADDR, HUZHU_HTTP, HUZHU_PUBLIC_URL, LOG_LEVEL,")
	fmt.Fprintln(w, "  TELEGRAM_TOKEN, TELEGRAM_WEBHOOK_URL, TELEGRAM_WEBHOOK_SECRET, TELEGRAM_LISTEN, TELEGRAM_API_URL, WECHAT, WECHAT_ACCOUNT")
	fmt.Fprintf(w, "\nflags of %s:\n", fs.Name())
	fs.PrintDefaults()
}

// waitConfig reads REDIS_WAIT_REPLICAS (a count) and REDIS_WAIT_TIMEOUT
// (a duration such as "100ms") into c; unset, the store's defaults apply.
func waitConfig(getenv func(string) string, c *store.Config) error {
	if v := getenv("REDIS_WAIT_REPLICAS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return fmt.Errorf("REDIS_WAIT_REPLICAS %q should be a number of replicas, 0 for none", v)
		}
		c.WaitReplicas = &n
	}
	if v := getenv("REDIS_WAIT_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return fmt.Errorf(`REDIS_WAIT_TIMEOUT %q should be a duration such as "100ms"`, v)
		}
		c.WaitTimeout = d
	}
	return nil
}

// errUsage is returned for flags that do not parse; the flag package has
// already printed what was wrong.
var errUsage = errors.New("bad command line")

// parseConfig reads args and the environment into a Config.
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (*Config, error) {
	cfg := &Config{Command: "run", BotName: "huzhu"}
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cfg.Command, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet("huzhu "+cfg.Command, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { printUsage(stderr, fs) }
	if cfg.Command == "help" {
		fs.Usage()
		return nil, errHelp
	}
	fs.StringVar(&cfg.Store.DataDir, "data", envOr(getenv, "HUZHU_DATA", store.DefaultDataDir),
		"directory of the embedded store, used when no Redis is configured (env HUZHU_DATA)")
	fs.StringVar(&cfg.MetricsAddr, "metrics", getenv("HUZHU_METRICS_ADDR"),
		`serve Prometheus metrics and health checks (/metrics, /healthz, /readyz) on this address, e.g. ":9090"; off when empty (env HUZHU_METRICS_ADDR)`)
	fs.StringVar(&cfg.HTTPAddr, "http", getenv("HUZHU_HTTP"),
		`serve the station's web pages on this address, e.g. ":8080"; off when empty (env HUZHU_HTTP)`)
	fs.StringVar(&cfg.PublicURL, "public-url", getenv("HUZHU_PUBLIC_URL"),
		`the public base URL of the web pages that links start with, e.g. "https://huzhu.example.org"; default http://ADDR of --http (env HUZHU_PUBLIC_URL)`)
	fake := fs.String("fake-clock", "", `console only: start a fake clock at this time ("2026-12-01 09:00", Asia/Shanghai) that moves only with :advance`)
	if cfg.Command == "bench" {
		cfg.Bench, args = benchFlags(fs, args)
	}
	if cfg.Command == "import" || cfg.Command == "export" {
		cfg.Data, args = dataFlags(fs, cfg.Command, args)
	}
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return nil, errHelp
	} else if err != nil {
		return nil, errUsage
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q (commands: %s; huzhu --help says more)", fs.Arg(0), subcommandNames())
	}
	fs.Visit(func(f *flag.Flag) { cfg.DataDirChosen = cfg.DataDirChosen || f.Name == "data" })
	cfg.DataDirChosen = cfg.DataDirChosen || getenv("HUZHU_DATA") != ""
	cfg.Store.URL = getenv("REDIS_URL")
	cfg.Store.Addrs = splitList(getenv("REDIS_ADDRS"))
	cfg.Store.SentinelMaster = getenv("REDIS_SENTINEL_MASTER")
	cfg.Store.SentinelAddrs = splitList(getenv("REDIS_SENTINEL_ADDRS"))
	cfg.Store.Password = getenv("REDIS_PASSWORD")
	if err := waitConfig(getenv, &cfg.Store); err != nil {
		return nil, err
	}
	cfg.Admins = splitList(getenv("HUZHU_ADMINS"))
	cfg.Telegram = telegramConfig(getenv)
	cfg.WeChat = wechatConfig(getenv)
	if a := getenv("HUZHU_ALERT_CHAT"); a != "" {
		platform, id, ok := strings.Cut(a, ":")
		if !ok || platform == "" || id == "" {
			return nil, fmt.Errorf(`HUZHU_ALERT_CHAT %q should be "platform:chatid", e.g. "telegram:-100123456"`, a)
		}
		cfg.AlertChat = &bot.Chat{Platform: platform, ID: id, Kind: bot.Group}
	}
	if cfg.Bench != nil && cfg.Bench.redis != "" {
		cfg.Store.URL = cfg.Bench.redis
	}
	if n := getenv("HUZHU_BOT_NAME"); n != "" {
		cfg.BotName = n
	}
	if err := cfg.LogLevel.UnmarshalText([]byte(envOr(getenv, "LOG_LEVEL", "info"))); err != nil {
		return nil, fmt.Errorf("LOG_LEVEL: %w", err)
	}
	if *fake != "" {
		t, err := time.ParseInLocation("2006-01-02 15:04", *fake, calendar.Shanghai)
		if err != nil {
			return nil, fmt.Errorf(`--fake-clock wants "2006-01-02 15:04": %w`, err)
		}
		cfg.FakeClock = t
	}
	return cfg, cfg.Validate()
}

// Validate reports a configuration that cannot work.
func (c *Config) Validate() error {
	if c.Command == "help" || !slices.ContainsFunc(subcommands, func(s struct{ name, usage string }) bool { return s.name == c.Command }) {
		return fmt.Errorf("unknown command %q (commands: %s; huzhu --help says more)", c.Command, subcommandNames())
	}
	if !c.FakeClock.IsZero() && c.Command == "run" {
		c.Command = "console" // a fake clock only makes sense in the console
	}
	for _, a := range c.Admins {
		if err := checkAdmin(a); err != nil {
			return fmt.Errorf(`HUZHU_ADMINS: %q %w; write "platform:id" comma-separated, e.g. "telegram:123456,wechat:u31"`, a, err)
		}
	}
	if err := c.Telegram.Validate(); err != nil {
		return err
	}
	if err := c.validateWeb(); err != nil {
		return err
	}
	return c.Store.Validate()
}

// checkAdmin reports why key cannot be the user key of anyone huzhu serves,
// so that a misspelt administrator is refused at start-up instead of never
// matching: the platform must be one huzhu has, spelt as in user keys
// (lowercase), and the id must be one that platform gives out: a Telegram
// user id is a positive number, a WeChat one is u and a number (wechat:u31),
// a console one is the name typed.
func checkAdmin(key string) error {
	platform, id, ok := strings.Cut(key, ":")
	switch {
	case !ok:
		return errors.New("has no colon")
	case platform == "":
		return errors.New("names no platform")
	case id == "":
		return errors.New("has no id after the colon")
	case strings.Contains(id, ":"):
		return errors.New("has more than one colon")
	}
	switch platform {
	case telegram.PlatformName:
		if !allDigits(id) || id[0] == '0' {
			return errors.New("is not a Telegram user id, which is a positive number")
		}
	case wechat.PlatformName:
		if n, ok := strings.CutPrefix(id, "u"); !ok || !allDigits(n) {
			return errors.New("is not a WeChat user id, which is u and a number (wechat:u31)")
		}
	case console.PlatformName:
		if strings.ContainsFunc(id, func(r rune) bool { return unicode.IsControl(r) || r == ';' }) {
			return errors.New("is not a console name (separate administrators with commas)")
		}
	default:
		if lower := strings.ToLower(platform); lower != platform && slices.Contains(adminPlatforms, lower) {
			return fmt.Errorf("should spell the platform in lowercase, %q", lower+":"+id)
		}
		return fmt.Errorf("names an unknown platform %q (known: %s)", platform, strings.Join(adminPlatforms, ", "))
	}
	return nil
}

// allDigits reports whether s is one or more ASCII digits.
func allDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// adminPlatforms are the platforms an administrator can be on.
var adminPlatforms = []string{telegram.PlatformName, wechat.PlatformName, console.PlatformName}

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		out = append(out, f)
	}
	return out
}

// validateWeb checks --http and --public-url, and fills PublicURL from
// HTTPAddr when it is not given.
func (c *Config) validateWeb() error {
	if c.HTTPAddr == "" {
		if c.PublicURL != "" {
			return errors.New("--public-url (HUZHU_PUBLIC_URL) needs --http (HUZHU_HTTP)")
		}
		return nil
	}
	host, _, err := net.SplitHostPort(c.HTTPAddr)
	if err != nil {
		return fmt.Errorf("--http %q should be host:port or :port: %w", c.HTTPAddr, err)
	}
	if c.PublicURL == "" {
		if host == "" {
			host = "localhost"
		}
		_, port, _ := net.SplitHostPort(c.HTTPAddr)
		c.PublicURL = "http://" + net.JoinHostPort(host, port)
		return nil
	}
	u, err := url.Parse(c.PublicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("--public-url %q should be like https://huzhu.example.org", c.PublicURL)
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	return nil
}
