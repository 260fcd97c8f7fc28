package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"github.com/huzhu-station/huzhu/bot/store"
	"github.com/huzhu-station/huzhu/handlers/export"
)

// dataOptions are what `huzhu import` and `huzhu export` were asked for.
type dataOptions struct {
	command string   // import or export
	what    string   // roster, or an export's kind
	args    []string // the roster file, or the campaign or poll number
	station string   // id or code, or "all" for export stats; "" when the store has one station
	month   string   // export stats, shifts, issues: 2026-11
	format  string   // csv or xlsx
	out     string   // file to write; "-" for stdout
}

const dataUsage = `usage:
  huzhu import roster FILE.csv [--station N]
  huzhu export fund N [--station N] [--format csv|xlsx] [--out FILE]
  huzhu export poll N [--station N] [--format csv|xlsx] [--out FILE]
  huzhu export stats [--month 2026-11] [--station N|all] [--format csv|xlsx] [--out FILE]
  huzhu export issues [--month 2026-11] [--station N] [--format csv|xlsx] [--out FILE]
  huzhu export shifts [--month 2026-11] [--station N] [--format csv|xlsx] [--out FILE]
  huzhu export dogs [--station N] [--format csv|xlsx] [--out FILE]`

// dataFlags defines the import and export flags on fs and takes the words
// of the command (roster FILE, fund N) out of args, wherever they stand
// among the flags, so `import roster a.csv --station 2` and `import
// --station 2 roster a.csv` both work. It returns the flags left to parse.
func dataFlags(fs *flag.FlagSet, command string, args []string) (*dataOptions, []string) {
	o := &dataOptions{command: command}
	fs.StringVar(&o.station, "station", "", `import/export: the station, by number or code (default: the only one); "all" for export stats`)
	fs.StringVar(&o.month, "month", "", "export stats, shifts, issues: the month, as 2026-11 (default: this month; issues: all)")
	fs.StringVar(&o.format, "format", "csv", "export: csv or xlsx")
	fs.StringVar(&o.out, "out", "", `export: the file to write (default fund-N.csv, poll-N.xlsx…; "-" for stdout)`)
	var words, flags []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			words = append(words, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			words = append(words, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") {
			continue
		}
		if f := fs.Lookup(name); f != nil && !isBoolFlag(f) && i+1 < len(args) {
			i++
			flags = append(flags, args[i])
		}
	}
	if len(words) > 0 {
		o.what, o.args = words[0], words[1:]
	}
	return o, flags
}

func isBoolFlag(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// validate reports a data command that cannot be run, with the usage.
func (o *dataOptions) validate() error {
	if o.command == "import" {
		if o.what == "roster" && len(o.args) == 1 {
			return nil
		}
		return errors.New(dataUsage)
	}
	kind, err := export.ParseKind(o.what)
	if err != nil || o.command != "export" {
		return errors.New(dataUsage)
	}
	numbered := kind == export.Fund || kind == export.Poll
	switch {
	case numbered && len(o.args) != 1, !numbered && len(o.args) != 0:
		return errors.New(dataUsage)
	case numbered:
		if _, err := strconv.ParseInt(o.args[0], 10, 64); err != nil {
			return fmt.Errorf("%s number %q is not a number\n%s", o.what, o.args[0], dataUsage)
		}
	}
	if o.month != "" {
		if _, err := export.ParseMonth(o.month); err != nil {
			return fmt.Errorf("--month %q: write it as 2026-11", o.month)
		}
	}
	if o.station == "all" && kind != export.Stats {
		return fmt.Errorf("--station all is for export stats only\n%s", dataUsage)
	}
	if _, err := export.ParseFormat(o.format); err != nil {
		return fmt.Errorf("--format %q: want csv or xlsx", o.format)
	}
	return nil
}

// runData runs `huzhu import …` or `huzhu export …` against the configured
// store. With the embedded store the bot must not be running: one process
// per data directory.
func runData(ctx context.Context, cfg *Config, stdout io.Writer, log *slog.Logger) (err error) {
	o := cfg.Data
	if err := o.validate(); err != nil {
		return err
	}
	backend, err := store.Open(ctx, cfg.Store, log.With("component", "store"))
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, backend.Close()) }()
	st := store.New(backend.Client)
	if o.command == "import" {
		station, err := pickStation(ctx, st, o.station)
		if err != nil {
			return err
		}
		return importRoster(ctx, st, station, o.args[0], stdout)
	}
	kind, _ := export.ParseKind(o.what)
	format, _ := export.ParseFormat(o.format)
	opts := export.Options{Format: format}
	if len(o.args) == 1 {
		opts.N, _ = strconv.ParseInt(o.args[0], 10, 64)
	}
	if o.month != "" {
		opts.Month, _ = export.ParseMonth(o.month)
	}
	what := ""
	if o.station == "all" { // in the default locale, as the stations may each speak another
		if opts.Stations, err = st.StationIDs(ctx); err != nil {
			return err
		}
		what = "all stations"
	} else {
		station, err := pickStation(ctx, st, o.station)
		if err != nil {
			return err
		}
		opts.Stations = []int64{station.ID}
		opts.Locale = station.Locale // the station's chosen language; "" for the default
		what = fmt.Sprintf("station %d %s", station.ID, station.Name)
	}
	var buf bytes.Buffer
	d, err := export.Write(ctx, st, &buf, kind, opts)
	if err != nil {
		return err
	}
	out := o.out
	if out == "" {
		out = d.Filename
	}
	if out == "-" {
		_, err = stdout.Write(buf.Bytes())
		return err
	}
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "wrote %s (%s of %s)\n", out, strings.Join(append([]string{o.what}, o.args...), " "), what)
	return err
}

// pickStation finds the station named by id or code, or the only one.
func pickStation(ctx context.Context, st *store.Store, which string) (*store.Station, error) {
	if which != "" {
		if id, err := strconv.ParseInt(which, 10, 64); err == nil {
			s, err := st.Station(ctx, id)
			if errors.Is(err, store.ErrNotFound) {
				return nil, fmt.Errorf("no station %d", id)
			}
			return s, err
		}
		s, err := st.StationByCode(ctx, which)
		if errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("no station with code %q", which)
		}
		return s, err
	}
	ids, err := st.StationIDs(ctx)
	if err != nil {
		return nil, err
	}
	switch len(ids) {
	case 0:
		return nil, errors.New("the store has no station yet: create one in a group with 建站 NAME")
	case 1:
		return st.Station(ctx, ids[0])
	}
	var names []string
	for _, id := range ids {
		if s, err := st.Station(ctx, id); err == nil {
			names = append(names, fmt.Sprintf("%d %s", id, s.Name))
		}
	}
	return nil, fmt.Errorf("the store has %d stations; choose one with --station: %s", len(ids), strings.Join(names, ", "))
}
