package bot

// Readier is implemented by platforms that can say whether they are serving
// now: connected, logged in. A readiness check (/readyz) asks every
// platform that implements it; one that does not is taken as ready while it
// runs.
type Readier interface {
	// Ready returns nil when the platform is serving, else why not.
	Ready() error
}
