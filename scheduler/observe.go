package scheduler

import "time"

// Observer is told what happens to the occurrences a Scheduler delivers, for
// metrics. Its methods are called from the delivering goroutines, possibly
// at once, and must not block.
type Observer interface {
	// ReminderDue is called for each occurrence claimed for delivery.
	ReminderDue()
	// ReminderSent is called for each occurrence delivered, with how long
	// after it fell due it was sent.
	ReminderSent(lag time.Duration)
	// ReminderLate is called for each occurrence dropped because it fell
	// due longer ago than its StaleAfter.
	ReminderLate()
	// ReminderRetried is called for each failed delivery put back in the
	// queue to be tried again.
	ReminderRetried()
	// ReminderDeadLettered is called for each occurrence given up on and
	// kept in the dead letters.
	ReminderDeadLettered()
}

// WithObserver tells o what happens to every occurrence delivered.
func WithObserver(o Observer) Option {
	return func(s *Scheduler) {
		if o != nil {
			s.obs = o
		}
	}
}

// unobserved is the Observer of a Scheduler given none.
type unobserved struct{}

func (unobserved) ReminderDue()               {}
func (unobserved) ReminderSent(time.Duration) {}
func (unobserved) ReminderLate()              {}
func (unobserved) ReminderRetried()           {}
func (unobserved) ReminderDeadLettered()      {}
