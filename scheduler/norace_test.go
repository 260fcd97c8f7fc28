//go:build !race

package scheduler

// raceEnabled is true under -race, which slows redka's transpiled SQLite
// about tenfold.
const raceEnabled = false
